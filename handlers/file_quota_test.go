package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestUploadQuota fills Acme's quota of 100 bytes in 3 files (U5): an upload past
// either limit is refused with 413 and the reason, and leaves no row, blob or activity
// entry; a deleted file gives its room back; Globex has a quota of its own; the files
// page says what is used and what is left (for upload.js); a message whose attachment
// would pass the quota is refused with its form, and not stored.
func TestUploadQuota(t *testing.T) {
	env := newTestEnv(t, Config{Files: FilesConfig{OrgQuotaBytes: 100, OrgQuotaFiles: 3}})
	bob := env.signedIn("bob@acme.example")
	carol := env.signedIn("carol@globex.example")
	const refused = "files are at their limit of 100 B in 3 files."
	upload := func(c *testClient, slug, name string, size int) response {
		t.Helper()
		return c.upload("/o/"+slug+"/files", name, []byte(strings.Repeat("x", size)))
	}

	steps := []struct {
		name       string
		do         func() response
		wantStatus int
		// wantLive is Acme's live files afterwards, in upload order.
		wantLive []string
	}{
		{"60 bytes", func() response { return upload(bob, "acme", "a.txt", 60) },
			http.StatusCreated, []string{"a.txt"}},
		{"50 more bytes: past 100", func() response { return upload(bob, "acme", "b.txt", 50) },
			http.StatusRequestEntityTooLarge, []string{"a.txt"}},
		{"40 more bytes: exactly 100", func() response {
			return upload(bob, "acme", "c.txt", 40)
		}, http.StatusCreated, []string{"a.txt", "c.txt"}},
		{"Globex's own quota", func() response {
			return upload(carol, "globex", "g.txt", 60)
		}, http.StatusCreated, []string{"a.txt", "c.txt"}},
		{"a deleted file gives its room back", func() response {
			return bob.post("/o/acme/files/"+fileID(t, env, "a.txt")+"/delete", nil,
				"HX-Request", "true")
		}, http.StatusOK, []string{"c.txt"}},
		{"a second file", func() response { return upload(bob, "acme", "d.txt", 10) },
			http.StatusCreated, []string{"c.txt", "d.txt"}},
		{"a third file", func() response { return upload(bob, "acme", "e.txt", 10) },
			http.StatusCreated, []string{"c.txt", "d.txt", "e.txt"}},
		{"a fourth file: past 3", func() response { return upload(bob, "acme", "f.txt", 1) },
			http.StatusRequestEntityTooLarge, []string{"c.txt", "d.txt", "e.txt"}},
	}
	for _, st := range steps {
		blobs := len(env.blobs(t))
		got := st.do()
		if got.StatusCode != st.wantStatus {
			t.Fatalf("%s: status %d, want %d:\n%s", st.name, got.StatusCode, st.wantStatus,
				got.body)
		}
		if st.wantStatus == http.StatusRequestEntityTooLarge {
			if !strings.Contains(got.body, refused) {
				t.Errorf("%s: the answer lacks %q:\n%s", st.name, refused, got.body)
			}
			if n := len(env.blobs(t)); n != blobs {
				t.Errorf("%s: storage holds %d blobs, had %d", st.name, n, blobs)
			}
		}
		var live []string
		for _, f := range env.files(t, env.fix.Acme.ID) {
			if !f.Deleted {
				live = append(live, f.Filename)
			}
		}
		if fmt.Sprint(live) != fmt.Sprint(st.wantLive) {
			t.Errorf("%s: Acme's files %v, want %v", st.name, live, st.wantLive)
		}
	}
	page := bob.get("/o/acme/files").body
	for _, want := range []string{"files take 60 B of 100 B, 3 of 3 files.",
		`data-room-bytes="40"`, `data-room-files="0"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the files page lacks %q", want)
		}
	}
	if got := env.activityOf(t, env.fix.Acme.ID, "file.uploaded"); len(got) != 4 {
		t.Errorf("file.uploaded entries %q, want the 4 stored", got)
	}

	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Bob.ID, "Files", 1)
	got := postWithFiles(t, bob, "/o/acme/threads/"+thread.String()+"/messages",
		"The plan", sentFile{"plan.txt", []byte("x")})
	if got.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(got.body,
		refused) || !strings.Contains(got.body, "The plan") {
		t.Errorf("a message past the quota: %d, want 413 with the form:\n%s",
			got.StatusCode, got.body)
	}
	var messages int
	if err := env.staffConn().QueryRow(context.Background(),
		`SELECT count(*) FROM message WHERE thread_id = $1`, thread).Scan(&messages); err != nil {
		t.Fatal(err)
	}
	if messages != 1 {
		t.Errorf("the thread holds %d messages after the refused one, want 1", messages)
	}
}

// TestUploadQuotaConcurrent sends two uploads at once that each fit Acme's quota but
// not together: exactly one is stored, whichever commits first.
func TestUploadQuotaConcurrent(t *testing.T) {
	env := newTestEnv(t, Config{Files: FilesConfig{OrgQuotaBytes: 100}})
	clients := []*testClient{env.signedIn("alice@acme.example"),
		env.signedIn("bob@acme.example")}
	for _, c := range clients {
		c.csrfToken() // fetched before the race, on the test's goroutine
	}
	statuses := make([]int, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			statuses[i] = c.upload("/o/acme/files", fmt.Sprintf("half-%d.txt", i),
				[]byte(strings.Repeat("x", 60))).StatusCode
		})
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		if s == http.StatusCreated {
			created++
		}
	}
	if created != 1 || len(env.files(t, env.fix.Acme.ID)) != 1 {
		t.Errorf("statuses %v and %d files stored, want one of the two",
			statuses, len(env.files(t, env.fix.Acme.ID)))
	}
}

// fileID is the ID of Acme's file named name.
func fileID(t *testing.T, env *testEnv, name string) string {
	t.Helper()
	for _, f := range env.files(t, env.fix.Acme.ID) {
		if f.Filename == name {
			return f.ID.String()
		}
	}
	t.Fatalf("no file %q", name)
	return ""
}
