package handlers

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/jusb/portal/handlers/storage"
)

type sentFile struct {
	name    string
	content []byte
}

// postWithFiles posts a message as the thread page's form does with htmx: multipart,
// the body before the files, the CSRF token in the X-CSRF-Token header.
func postWithFiles(t *testing.T, c *testClient, path, body string, files ...sentFile) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"csrf_token", "in the header"}, {"tab", ""},
		{"body", body}} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", partDisposition("files", f.name))
		h.Set("Content-Type", "application/octet-stream")
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(f.content); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.env.ts.URL+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.csrfToken())
	req.Header.Set("Origin", c.origin)
	req.Header.Set("HX-Request", "true")
	return c.do(req)
}

// blobCount counts the blobs and upload leftovers in the server's file storage.
func blobCount(t *testing.T, env *testEnv) int {
	t.Helper()
	n := 0
	err := env.srv.files.List(context.Background(), func(storage.Item) error {
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMessageAttachments posts a message with two files: they are stored like any
// upload, listed in the file area, shown under the message and downloadable.
func TestMessageAttachments(t *testing.T) {
	env := newTestEnv(t, Config{})
	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Bob.ID, "Files", 1)
	path := "/o/acme/threads/" + thread.String()
	alice := env.signedIn("alice@acme.example")
	bob := env.signedIn("bob@acme.example")
	events := openEvents(t, bob, path+"/events")
	notes := []byte("Meeting notes\n- one\n- two\n")
	csv := []byte("item,amount\nlicences,12000\n")

	resp := postWithFiles(t, alice, path+"/messages", "Both files, as promised.",
		sentFile{"notes.txt", notes}, sentFile{"budget.csv", csv})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post: status %d, body %s", resp.StatusCode, resp.body)
	}
	links := map[string]string{}
	parseHTML(t, resp.body).Find(`hx-partial [data-testid=attachment]`).Each(
		func(_ int, s *goquery.Selection) {
			href, _ := s.Attr("href")
			links[s.Find("span").First().Text()] = href
		})
	if len(links) != 2 {
		t.Fatalf("attachments under the message: %v, want 2", links)
	}
	got := parseHTML(t, events.next(t).data).Find(`[data-testid=attachment]`).Length()
	if got != 2 {
		t.Errorf("the live event shows %d attachments, want 2", got)
	}

	for name, want := range map[string][]byte{"notes.txt": notes, "budget.csv": csv} {
		href := links[name]
		if !strings.HasPrefix(href, "/o/acme/files/") {
			t.Errorf("%s links to %q, want the file area's download", name, href)
			continue
		}
		if got := bob.get(href); got.StatusCode != http.StatusOK || got.body != string(want) {
			t.Errorf("download %s: status %d, %d bytes, want the content", name,
				got.StatusCode, len(got.body))
		}
	}
	files := bob.get("/o/acme/files").body
	for name := range links {
		if !strings.Contains(files, name) {
			t.Errorf("the file area does not list %s", name)
		}
	}
	page := parseHTML(t, bob.get(path).body)
	if n := page.Find(`[data-testid=message]`).Last().Find(`[data-testid=attachment]`).
		Length(); n != 2 {
		t.Errorf("the thread page shows %d attachments, want 2", n)
	}

	var activity string
	err := env.staffConn().QueryRow(context.Background(), `SELECT string_agg(action, ','
		ORDER BY action) FROM activity WHERE org_id = $1 AND action <> 'user.signed_in'`,
		env.fix.Acme.ID).Scan(&activity)
	if err != nil {
		t.Fatal(err)
	}
	if activity != "file.uploaded,file.uploaded,message.posted" {
		t.Errorf("activity = %q", activity)
	}
}

// TestMessageAttachmentsRefused posts messages whose files or text cannot be stored:
// each gets its error in the form, and neither rows nor blobs are left behind.
func TestMessageAttachmentsRefused(t *testing.T) {
	env := newTestEnv(t, Config{Files: FilesConfig{MaxBytes: 1024}})
	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Bob.ID, "Files", 1)
	path := "/o/acme/threads/" + thread.String() + "/messages"
	alice := env.signedIn("alice@acme.example")
	ok := sentFile{"notes.txt", []byte("fine\n")}

	tests := []struct {
		name       string
		body       string
		files      []sentFile
		wantStatus int
		wantError  string
	}{
		{"HTML named .png", "See the picture.", []sentFile{ok,
			{"photo.png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")}},
			http.StatusUnsupportedMediaType, ""},
		{"file over the limit", "Big one.", []sentFile{ok,
			{"big.txt", bytes.Repeat([]byte("a"), 2048)}}, http.StatusRequestEntityTooLarge,
			"larger than the limit"},
		{"empty text with a file", "", []sentFile{ok}, http.StatusUnprocessableEntity,
			"Write a message"},
		{"too many files", "Many.", slices.Repeat([]sentFile{ok}, maxAttachments+1),
			http.StatusUnprocessableEntity, "at most 10 files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tenantSnapshot(t, env, "acme")
			resp := postWithFiles(t, alice, path, tt.body, tt.files...)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus,
					resp.body)
			}
			msg := parseHTML(t, resp.body).Find(`[data-testid=message-error]`).Text()
			if msg == "" || !strings.Contains(msg, tt.wantError) {
				t.Errorf("error = %q, want %q", msg, tt.wantError)
			}
			if after := tenantSnapshot(t, env, "acme"); after != before {
				t.Errorf("data changed:\nbefore %s\nafter  %s", before, after)
			}
			if n := blobCount(t, env); n != 0 {
				t.Errorf("%d blobs left in storage", n)
			}
		})
	}
}

// BenchmarkThreadPage serves a thread of 200 messages over HTTPS to concurrent
// clients of one signed-in member: the whole chain, the session, the user and the
// page's one batch (no news, so no write). Its baseline is BenchmarkThreadHello, a
// bare handler behind the same kind of server in the same run; the issue asks for a
// ratio of requests per second of at least 0.02 (docs/threads.md).
