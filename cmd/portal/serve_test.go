package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jusb/portal/db/dbtest"
)

// TestServeWaitsForDatabase starts the server while the database cannot be reached
// (F6): it keeps trying and logs each try, does not listen meanwhile, and serves, ready,
// once the database answers. A stop asked for while it serves ends it cleanly.
func TestServeWaitsForDatabase(t *testing.T) {
	urls := useDatabase(t)
	app, err := url.Parse(urls.App)
	if err != nil {
		t.Fatal(err)
	}
	proxy := dbtest.StartProxy(t, app.Host)
	proxy.Cut()
	t.Setenv("APP_DATABASE_URL", proxy.Through(urls.App))
	t.Setenv("STAFF_DATABASE_URL", proxy.Through(urls.Staff))
	t.Setenv("ADDR", "127.0.0.1:0")
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}

	var logs, out lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)), nil, &out) }()

	waitUntil(t, "two tries logged", func() bool {
		return strings.Count(logs.String(), "database not reachable") >= 2
	})
	if strings.Contains(out.String(), "listening") {
		t.Fatalf("listening while the database is away: %s", out.String())
	}

	proxy.Restore()
	waitUntil(t, "the server listening", func() bool {
		return strings.Contains(out.String(), "listening on http://")
	})
	base := strings.TrimSpace(out.String()[strings.Index(out.String(), "http://"):])
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("readyz once serving: %d, want 200", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after the stop: %v", err)
	}
}

// waitUntil polls cond until it holds; it fails the test after a generous 30 s, so
// that a hang fails rather than blocks.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer that the server's goroutine writes while the test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
