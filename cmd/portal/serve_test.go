package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
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

// TestServeDrainsOnStop stops a serving portal with a request still arriving (F4):
// /readyz turns 503 at once while the portal still answers for DRAIN_WAIT, then the
// listener closes, and the request in flight still gets its whole answer.
func TestServeDrainsOnStop(t *testing.T) {
	useDatabase(t)
	t.Setenv("ADDR", "127.0.0.1:0")
	t.Setenv("DRAIN_WAIT", "2s")
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	var logs, out lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(&logs, nil))
	go func() { done <- serve(ctx, cfg, log, nil, &out) }()
	waitUntil(t, "the server listening", func() bool {
		return strings.Contains(out.String(), "listening on http://")
	})
	base := strings.TrimSpace(out.String()[strings.Index(out.String(), "http://"):])
	addr := strings.TrimPrefix(base, "http://")

	// A sign-in whose body is half sent when the stop comes.
	const body = "email=alice%40acme.example&password=not+the+password"
	inFlight, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer inFlight.Close()
	fmt.Fprintf(inFlight, "POST /signin HTTP/1.1\r\nHost: %s\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		addr, len(body), body[:10])
	time.Sleep(100 * time.Millisecond) // let the server read the headers: the request is active

	cancel()
	waitUntil(t, "readyz at 503", func() bool { return status(base+"/readyz") == 503 })
	if got := status(base + "/healthz"); got != http.StatusOK {
		t.Errorf("healthz while draining: %d, want 200 (still serving)", got)
	}
	waitUntil(t, "the listener closed", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	})

	if _, err := inFlight.Write([]byte(body[10:])); err != nil {
		t.Fatalf("send the rest of the body: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(inFlight), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode >= 500 {
		t.Errorf("the request in flight got %d", resp.StatusCode)
	}
	if err := <-done; err != nil {
		t.Errorf("serve after the stop: %v", err)
	}
}

// status returns the status of a GET of u, or 0 when it gets none.
func status(u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
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
