package handlers

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jusb/portal/components"
)

// TestFilesQueryBudget counts round trips: the list (with 1 and 50 files, no N+1),
// a download, and uploads of two sizes.
func TestFilesQueryBudget(t *testing.T) {
	env := newTestEnv(t, Config{})
	checkBudget(t, env, "alice@acme.example", "/o/acme/files", 2, addFiles)

	c := env.signedIn("alice@acme.example")
	id := env.addFile(t, env.fix.Acme.ID, env.fix.Bob.ID, "budget.txt", []byte("budget"))
	c.get("/o/acme/files/" + id.String())
	env.counter.Reset()
	if got := c.get("/o/acme/files/" + id.String()); got.StatusCode != 200 {
		t.Fatalf("download: %d", got.StatusCode)
	}
	if n := env.counter.Count(); n > 2 {
		t.Errorf("download: %d round trips, budget 2", n)
	}

	// An upload: the same round trips whatever its size and however many files the
	// answer lists, within budget even when the session is not in the cache.
	var counts []int64
	for _, tt := range []struct{ size, listed int }{{1 << 10, 1}, {1 << 20, 50}} {
		addFiles(t, env, tt.listed)
		content := bytes.Repeat([]byte("x"), tt.size)
		env.counter.Reset()
		if got := c.upload("/o/acme/files", "size.txt", content); got.StatusCode != 201 {
			t.Fatalf("upload: %d", got.StatusCode)
		}
		counts = append(counts, env.counter.Count())
	}
	forgetSessions(env)
	env.counter.Reset()
	if got := c.upload("/o/acme/files", "cold.txt", []byte("cold")); got.StatusCode != 201 {
		t.Fatalf("upload: %d", got.StatusCode)
	}
	cold := env.counter.Count()
	t.Logf("upload: %d round trips (the answer's list included), %d with the session read",
		counts[0], cold)
	if counts[0] != counts[1] {
		t.Errorf("upload round trips grow with the size or the list: %v", counts)
	}
	if cold > 3 {
		t.Errorf("upload with the session read: %d round trips, budget 3", cold)
	}
}

// forgetSessions empties the session cache, so that the next request reads its
// session from the database.
func forgetSessions(env *testEnv) {
	cache := env.srv.sessions.Store.(*cachedStore)
	cache.mu.Lock()
	clear(cache.entries)
	cache.mu.Unlock()
}

func addFiles(t testing.TB, env *testEnv, n int) {
	t.Helper()
	_, err := env.staffConn().Exec(context.Background(), `INSERT INTO file
		(org_id, uploader_id, filename, storage_key, mime, size, sha256)
		SELECT $1, $2, 'listed ' || i || '.txt', 'budget/' || gen_random_uuid(), 'text/plain',
			i, sha256(i::text::bytea)
		FROM generate_series(1, $3) i`, env.fix.Acme.ID, env.fix.Bob.ID, n)
	if err != nil {
		t.Fatal(err)
	}
}

// TestFileListPages pages through 60 files, newest first, without OFFSET.
func TestFileListPages(t *testing.T) {
	env := newTestEnv(t, Config{})
	_, err := env.staffConn().Exec(context.Background(), `INSERT INTO file
		(org_id, uploader_id, filename, storage_key, mime, size, sha256, created_at)
		SELECT $1, $2, 'file ' || lpad(i::text, 2, '0') || '.txt', 'page/' || i,
			'text/plain', i, sha256(i::text::bytea), now() - i * interval '1 minute'
		FROM generate_series(1, 60) i`, env.fix.Acme.ID, env.fix.Bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := env.signedIn("bob@acme.example")
	names := regexp.MustCompile(`<bdi>(file \d\d\.txt)</bdi></a>`)
	older := regexp.MustCompile(`href="([^"]+)"[^>]*data-testid="older-files"`)

	first := c.get("/o/acme/files")
	var got []string
	for _, m := range names.FindAllStringSubmatch(first.body, -1) {
		got = append(got, m[1])
	}
	m := older.FindStringSubmatch(first.body)
	if len(got) != 50 || m == nil {
		t.Fatalf("first page: %d files, older link %v; want 50 and a link", len(got), m)
	}
	next := strings.ReplaceAll(m[1], "&amp;", "&")
	second := c.get(next, "HX-Request", "true")
	if !strings.HasPrefix(second.body, `<section id="file-list"`) {
		t.Errorf("HTMX page is not the list fragment: %.80s", second.body)
	}
	for _, m := range names.FindAllStringSubmatch(second.body, -1) {
		got = append(got, m[1])
	}
	var want []string
	for i := 1; i <= 60; i++ {
		want = append(want, fmt.Sprintf("file %02d.txt", i))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files over both pages (-want +got):\n%s", diff)
	}
	if older.MatchString(second.body) {
		t.Error("the last page links to an older one")
	}
	if bad := c.get("/o/acme/files?before=yesterday"); bad.StatusCode != 400 {
		t.Errorf("malformed cursor: %d, want 400", bad.StatusCode)
	}
}

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1 KiB"}, {1536, "1.5 KiB"},
		{100 << 20, "100 MiB"}, {5 << 30, "5 GiB"}, {12_345_678, "12 MiB"},
	}
	for _, tt := range tests {
		if got := components.HumanSize(tt.n); got != tt.want {
			t.Errorf("components.HumanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
