package handlers

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/handlers/storage"
)

// TestUploadRefused sends uploads that must be refused, each with a clear message,
// and checks that nothing was stored or recorded: no row, no activity, no blob, no
// temporary file.
func TestUploadRefused(t *testing.T) {
	const limit = 64 << 10
	env := newTestEnv(t, Config{Files: FilesConfig{MaxBytes: limit}})
	bob := env.signedIn("bob@acme.example")

	var zipFile bytes.Buffer
	zw := zip.NewWriter(&zipFile)
	if w, err := zw.Create("notes.txt"); err != nil {
		t.Fatal(err)
	} else if _, err := w.Write([]byte("not a Word document")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		fileName   string
		content    []byte
		noFile     bool
		header     []string
		wantStatus int
		wantMsg    string
	}{
		{name: "one byte over the limit", fileName: "big.txt",
			content:    bytes.Repeat([]byte("a"), limit+1),
			wantStatus: 413, wantMsg: "larger than the limit of 64 KiB"},
		{name: "body announced larger than the route takes", fileName: "huge.txt",
			content:    bytes.Repeat([]byte("a"), limit+uploadOverhead+1),
			wantStatus: 413, wantMsg: "too large"},
		{name: "HTML named .png", fileName: "photo.png",
			content:    []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"),
			wantStatus: 415, wantMsg: "(text/html) cannot be uploaded"},
		{name: "SVG named .png", fileName: "logo.png",
			content:    []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
			wantStatus: 415, wantMsg: "(image/svg+xml) cannot be uploaded"},
		{name: "GIF with a script (polyglot)", fileName: "pixel.gif",
			content:    []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(1)</script>"),
			wantStatus: 415, wantMsg: "carries web page code"},
		{name: "PDF with HTML (polyglot)", fileName: "doc.pdf",
			content:    []byte("%PDF-1.4\n<html><body onload=alert(1)>"),
			wantStatus: 415, wantMsg: "carries web page code"},
		{name: "archive named .docx", fileName: "contract.docx", content: zipFile.Bytes(),
			wantStatus: 415, wantMsg: "(application/zip) cannot be uploaded"},
		{name: "program named .pdf", fileName: "invoice.pdf",
			content:    []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
			wantStatus: 415, wantMsg: "cannot be uploaded here. Allowed: PDF, PNG"},
		{name: "empty file", fileName: "empty.txt", content: nil,
			wantStatus: 422, wantMsg: "The file is empty."},
		{name: "no file at all", noFile: true, wantStatus: 422,
			wantMsg: "Choose a file to upload."},
		{name: "without the CSRF header", fileName: "notes.txt", content: []byte("hello"),
			header: []string{"X-CSRF-Token", ""}, wantStatus: 403,
			wantMsg: "did not come from the portal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got response
			if tt.noFile {
				body, ct := multipartBody(t, "", nil)
				got = bob.postBody("/o/acme/files", body, ct)
			} else {
				got = bob.upload("/o/acme/files", tt.fileName, tt.content, tt.header...)
			}
			if got.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.StatusCode, tt.wantStatus)
			}
			if !strings.Contains(got.body, tt.wantMsg) {
				t.Errorf("answer lacks %q:\n%s", tt.wantMsg, got.body)
			}
			if rows := env.files(t, env.fix.Acme.ID); len(rows) != 0 {
				t.Errorf("files recorded: %+v", rows)
			}
			if items := env.blobs(t); len(items) != 0 {
				t.Errorf("storage holds %+v, want nothing", items)
			}
		})
	}
	if got := env.activityOf(t, env.fix.Acme.ID, "file.uploaded"); len(got) != 0 {
		t.Errorf("file.uploaded entries %q, want none", got)
	}

	// A refusal that the handler makes re-renders the form with its error.
	got := bob.upload("/o/acme/files", "photo.png", []byte("<html><script>x</script>"))
	if !strings.Contains(got.body, `data-testid="upload-error"`) ||
		!strings.Contains(got.body, `id="upload-form"`) ||
		!strings.Contains(got.body, `aria-invalid="true"`) {
		t.Errorf("415 answer is not the form with its error:\n%s", got.body)
	}
}

// postBody posts a prepared body with the CSRF header, as upload.js does.
func (c *testClient) postBody(path string, body io.Reader, contentType string) response {
	c.env.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.env.ts.URL+path, body)
	if err != nil {
		c.env.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-CSRF-Token", c.csrfToken())
	req.Header.Set("Origin", c.origin)
	req.Header.Set("HX-Request", "true")
	return c.do(req)
}

// TestUploadAllowedTypesConfigurable allows archives by configuration.
func TestUploadAllowedTypesConfigurable(t *testing.T) {
	env := newTestEnv(t, Config{Files: FilesConfig{AllowedTypes: []string{"application/zip"}}})
	var zipFile bytes.Buffer
	zw := zip.NewWriter(&zipFile)
	if _, err := zw.Create("empty.txt"); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	bob := env.signedIn("bob@acme.example")
	if got := bob.upload("/o/acme/files", "bundle.zip", zipFile.Bytes()); got.StatusCode !=
		http.StatusCreated {
		t.Errorf("zip with zip allowed: status %d", got.StatusCode)
	}
	got := bob.upload("/o/acme/files", "photo.png", pngBytes(t, 4, 4))
	if got.StatusCode != http.StatusUnsupportedMediaType ||
		!strings.Contains(got.body, "Allowed: application/zip.") {
		t.Errorf("PNG with only zip allowed: status %d, body %s", got.StatusCode, got.body)
	}
}

// TestUploadNames uploads files under awkward names that are accepted: each is
// stored under a safe name for display (never as the key), and the answer says when
// the name was changed. TestUploadNamesRefused has the names that are refused.
func TestUploadNames(t *testing.T) {
	env := newTestEnv(t, Config{})
	bob := env.signedIn("bob@acme.example")
	text := []byte("plain text\n")
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n")
	long := strings.Repeat("a", 300) + ".txt"

	tests := []struct {
		name        string
		upload      string
		content     []byte
		want        string
		wantChanged bool
		wantHeader  string
	}{
		{name: "ordinary", upload: "Meeting notes.txt", want: "Meeting notes.txt",
			wantHeader: disposition("Meeting notes.txt", "Meeting%20notes.txt")},
		{name: "directories that do not climb", upload: "scans/2027/receipt.txt",
			want: "receipt.txt", wantChanged: true},
		{name: "Windows directories that do not climb", upload: `C:\Users\bob\boot.txt`,
			want: "boot.txt", wantChanged: true},
		{name: "dots inside a name", upload: "v1.2..3...txt", want: "v1.2..3...txt"},
		{name: "three dots and a slash", upload: ".../x.txt", want: "x.txt",
			wantChanged: true},
		{name: "an encoded slash is only text", upload: "x..%2f..%2fy.txt",
			want: "x..%2f..%2fy.txt"},
		{name: "right-to-left override", upload: "invoice\u202Etxt.exe",
			want: "invoicetxt.exe.txt", wantChanged: true},
		{name: "extension that does not fit the content", upload: "report.pdf.html",
			content: pdf, want: "report.pdf.html.pdf", wantChanged: true},
		{name: "no extension", upload: "README", want: "README.txt", wantChanged: true},
		{name: "only dots", upload: "....", want: "file.txt", wantChanged: true},
		{name: "too long", upload: long, want: strings.Repeat("a", 251) + ".txt",
			wantChanged: true},
		{name: "quote and semicolon", upload: `a";x.html.txt`, want: `a";x.html.txt`,
			wantHeader: disposition("a_;x.html.txt", "a%22%3Bx.html.txt")},
		{name: "accents", upload: "Résumé 2027.txt", want: "Résumé 2027.txt",
			wantHeader: disposition("R_sum_ 2027.txt", "R%C3%A9sum%C3%A9%202027.txt")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := tt.content
			if content == nil {
				content = text
			}
			got := bob.upload("/o/acme/files", tt.upload, content)
			if got.StatusCode != http.StatusCreated {
				t.Fatalf("status = %d, body %s", got.StatusCode, got.body)
			}
			files := env.files(t, env.fix.Acme.ID)
			f := files[len(files)-1]
			if f.Filename != tt.want {
				t.Errorf("stored name = %q, want %q", f.Filename, tt.want)
			}
			if strings.Contains(f.StorageKey, "txt") || strings.Contains(f.StorageKey, "..") {
				t.Errorf("storage key %q takes after the name", f.StorageKey)
			}
			changed := strings.Contains(got.body, "Its name was changed")
			if changed != tt.wantChanged {
				t.Errorf("answer says the name was changed: %v, want %v", changed,
					tt.wantChanged)
			}
			if tt.wantHeader != "" {
				d := bob.get("/o/acme/files/" + f.ID.String())
				if h := d.Header.Get("Content-Disposition"); h != tt.wantHeader {
					t.Errorf("Content-Disposition = %s\nwant %s", h, tt.wantHeader)
				}
			}
		})
	}
}

// TestUploadNamesRefused uploads files whose names climb out of their folder or
// carry control characters, in the files area and as message attachments: each is
// refused with 422 and its message in the form, and nothing is left behind (no
// row, no activity entry, no blob, no temporary file). A message's other file,
// staged before the refused one, is removed too.
func TestUploadNamesRefused(t *testing.T) {
	env := newTestEnv(t, Config{})
	bob := env.signedIn("bob@acme.example")
	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Bob.ID, "Names", 1)
	messages := "/o/acme/threads/" + thread.String() + "/messages"
	const climbs, control = "points outside its folder", "contains control characters"

	tests := []struct {
		name, upload, wantMsg string
	}{
		{"parent directories", "../../etc/passwd.txt", climbs},
		{"Windows parent directories", `..\..\boot.txt`, climbs},
		{"climbing in the middle", "reports/../../x.txt", climbs},
		{"only ..", "..", climbs},
		{".. with a space before the slash", ".. /x.txt", climbs},
		{"fullwidth dots and solidus", "\uff0e\uff0e\uff0fx.txt", climbs},
		{"division slash", "..\u2215x.txt", climbs},
		{"invalid UTF-8 inside the dots", "..\xff/x.txt", climbs},
		{"NUL", "report\x00.txt", control},
		{"line break", "line\nbreak.txt", control},
		{"tab", "tab\t.txt", control},
		{"escape", "esc\x1b[31m.txt", control},
		{"DEL", "del\x7f.txt", control},
		{"C1 control", "next\u0085line.txt", control},
	}
	content := []byte("plain text\n")
	for _, tt := range tests {
		t.Run("files area/"+tt.name, func(t *testing.T) {
			got := bob.upload("/o/acme/files", tt.upload, content)
			if got.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("status = %d, want 422", got.StatusCode)
			}
			msg := parseHTML(t, got.body).Find(`#upload-form [data-testid=upload-error]`)
			if !strings.Contains(msg.Text(), tt.wantMsg) {
				t.Errorf("form error = %q, want %q", msg.Text(), tt.wantMsg)
			}
			checkNothingLeft(t, env)
		})
		t.Run("message attachment/"+tt.name, func(t *testing.T) {
			before := tenantSnapshot(t, env, "acme")
			got := postWithFiles(t, bob, messages, "Two files.",
				sentFile{"fine.txt", content}, sentFile{tt.upload, content})
			if got.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("status = %d, want 422", got.StatusCode)
			}
			msg := parseHTML(t, got.body).Find(`[data-testid=message-error]`).Text()
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("form error = %q, want %q", msg, tt.wantMsg)
			}
			if after := tenantSnapshot(t, env, "acme"); after != before {
				t.Errorf("data changed:\nbefore %s\nafter  %s", before, after)
			}
			checkNothingLeft(t, env)
		})
	}
}

// disposition is the Content-Disposition of a download with an ASCII fallback name
// and the RFC 5987 encoding of the real one.
func disposition(fallback, encoded string) string {
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + encoded
}

// faultyStorage fails on purpose: writes after some bytes, or commits.
type faultyStorage struct {
	storage.Storage
	writeBudget int64 // bytes a write may take before failing; 0 means no limit
	failCommit  bool
}

func (f *faultyStorage) Create(ctx context.Context, key string) (storage.Upload, error) {
	up, err := f.Storage.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return &faultyUpload{Upload: up, left: f.writeBudget, limited: f.writeBudget > 0,
		failCommit: f.failCommit}, nil
}

type faultyUpload struct {
	storage.Upload
	left       int64
	limited    bool
	failCommit bool
}

func (u *faultyUpload) Write(p []byte) (int, error) {
	if u.limited && int64(len(p)) > u.left {
		return 0, errors.New("no space left on device")
	}
	u.left -= int64(len(p))
	return u.Upload.Write(p)
}

func (u *faultyUpload) Commit(ctx context.Context) error {
	if u.failCommit {
		_ = u.Upload.Abort() // a failed commit leaves nothing, as the contract says
		return errors.New("rename failed")
	}
	return u.Upload.Commit(ctx)
}

// TestUploadLeavesNothingHalfDone breaks uploads at each step, storage, network and
// database, and checks that no blob, leftover or row remains (F1, F2).
func TestUploadLeavesNothingHalfDone(t *testing.T) {
	content := bytes.Repeat([]byte("crash safety\n"), 100_000) // 1.3 MB

	t.Run("storage fails while writing", func(t *testing.T) {
		local, _ := storage.NewLocal(t.TempDir())
		env := newTestEnv(t, Config{Files: FilesConfig{Storage: &faultyStorage{
			Storage: local, writeBudget: 300_000}}})
		got := env.signedIn("bob@acme.example").upload("/o/acme/files", "a.txt", content)
		if got.StatusCode != http.StatusInternalServerError {
			t.Errorf("status = %d, want 500", got.StatusCode)
		}
		checkNothingLeft(t, env)
	})

	t.Run("storage fails to commit", func(t *testing.T) {
		local, _ := storage.NewLocal(t.TempDir())
		env := newTestEnv(t, Config{Files: FilesConfig{Storage: &faultyStorage{
			Storage: local, failCommit: true}}})
		got := env.signedIn("bob@acme.example").upload("/o/acme/files", "a.txt", content)
		if got.StatusCode != http.StatusInternalServerError {
			t.Errorf("status = %d, want 500", got.StatusCode)
		}
		checkNothingLeft(t, env)
	})

	t.Run("the row cannot be written", func(t *testing.T) {
		env := newTestEnv(t, Config{})
		owner := ownerConn(t, env)
		_, err := owner.Exec(context.Background(), `
			CREATE FUNCTION test_refuse_file() RETURNS trigger LANGUAGE plpgsql
				AS $$ BEGIN RAISE EXCEPTION 'the database refuses'; END $$;
			CREATE TRIGGER test_refuse_file BEFORE INSERT ON file
				FOR EACH ROW EXECUTE FUNCTION test_refuse_file()`)
		if err != nil {
			t.Fatal(err)
		}
		got := env.signedIn("bob@acme.example").upload("/o/acme/files", "a.txt", content)
		if got.StatusCode != http.StatusInternalServerError {
			t.Errorf("status = %d, want 500", got.StatusCode)
		}
		checkNothingLeft(t, env)
	})

	t.Run("the client breaks off", func(t *testing.T) {
		env := newTestEnv(t, Config{})
		bob := env.signedIn("bob@acme.example")
		full, ct := multipartBody(t, fileDisposition("a.txt"), content)
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write(full.Bytes()[:full.Len()/2])
			_ = pw.CloseWithError(errors.New("connection lost"))
		}()
		req, err := http.NewRequest(http.MethodPost, env.ts.URL+"/o/acme/files", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-CSRF-Token", bob.csrfToken())
		req.Header.Set("Origin", bob.origin)
		if resp, err := bob.http.Do(req); err == nil {
			resp.Body.Close()
			t.Logf("the server answered %d", resp.StatusCode)
		}
		// The handler notices the broken body on its own time; the request's log line
		// says it has returned.
		done := regexp.MustCompile(`"msg":"request".*"method":"POST","path":"/o/acme/files"`)
		deadline := time.Now().Add(5 * time.Second)
		for !done.MatchString(env.logs.String()) {
			if time.Now().After(deadline) {
				t.Fatal("the upload's handler did not return within 5 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		checkNothingLeft(t, env)
	})
}

// ownerConn connects as the tables' owner, which may change the schema.
func ownerConn(t *testing.T, env *testEnv) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), env.urls.Owner)
	if err != nil {
		t.Fatalf("connect as owner: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func checkNothingLeft(t *testing.T, env *testEnv) {
	t.Helper()
	if rows := env.files(t, env.fix.Acme.ID); len(rows) != 0 {
		t.Errorf("files recorded: %+v", rows)
	}
	if items := env.blobs(t); len(items) != 0 {
		t.Errorf("storage holds %+v, want nothing", items)
	}
	if got := env.activityOf(t, env.fix.Acme.ID, "file.uploaded"); len(got) != 0 {
		t.Errorf("file.uploaded entries %q", got)
	}
}

// TestUploadRateLimit allows each user a number of uploads per window.
func TestUploadRateLimit(t *testing.T) {
	env := newTestEnv(t, Config{Files: FilesConfig{PerUser: Rate{Count: 2,
		Window: time.Minute}}})
	bob, alice := env.signedIn("bob@acme.example"), env.signedIn("alice@acme.example")
	var got []int
	for range 3 {
		got = append(got, bob.upload("/o/acme/files", "n.txt", []byte("n")).StatusCode)
	}
	got = append(got, alice.upload("/o/acme/files", "n.txt", []byte("n")).StatusCode)
	if diff := cmp.Diff([]int{201, 201, 429, 201}, got); diff != "" {
		t.Errorf("statuses of bob's three uploads and alice's one (-want +got):\n%s", diff)
	}
	if n := len(env.files(t, env.fix.Acme.ID)); n != 3 {
		t.Errorf("%d files recorded, want 3", n)
	}
}

// TestSweepFiles runs the sweeper against the database: the blob of a file stays;
// an orphan, a deleted file's blob and an old leftover go.
func TestSweepFiles(t *testing.T) {
	dir := t.TempDir()
	local, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t, Config{Files: FilesConfig{Storage: local}})
	bob := env.signedIn("bob@acme.example")
	if got := bob.upload("/o/acme/files", "kept.txt", []byte("kept")); got.StatusCode != 201 {
		t.Fatalf("upload: %d", got.StatusCode)
	}
	deleted := env.addFile(t, env.fix.Acme.ID, env.fix.Bob.ID, "deleted.txt", []byte("d"))
	if _, err := env.staffConn().Exec(context.Background(),
		`UPDATE file SET deleted_at = now() WHERE id = $1`, deleted); err != nil {
		t.Fatal(err)
	}
	orphanKey := newFileKey(env.fix.Globex.ID)
	up, _ := local.Create(context.Background(), orphanKey)
	_, _ = up.Write([]byte("never recorded"))
	if err := up.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, env.fix.Acme.ID.String(), ".tmp-crashed")
	if err := os.WriteFile(leftover, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}

	rep, err := storage.Sweep(context.Background(), local, storage.SweepOptions{
		Now: time.Now().Add(25 * time.Hour), Live: env.store.LiveStorageKeys})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(storage.SweepReport{Blobs: 3, Kept: 1, Orphans: 2, Leftovers: 1},
		rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	files := env.files(t, env.fix.Acme.ID)
	for _, f := range files {
		_, err := local.Open(context.Background(), f.StorageKey)
		if f.Deleted != errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s (deleted %v): blob %v", f.Filename, f.Deleted, err)
		}
	}
	if got := bob.get("/o/acme/files/" + files[0].ID.String()); got.body != "kept" {
		t.Errorf("kept file downloads as %q", got.body)
	}
}

func TestSafeFileName(t *testing.T) {
	tests := []struct {
		name, raw, mediaType, want string
	}{
		{name: "kept", raw: "Plan.PDF", mediaType: "application/pdf", want: "Plan.PDF"},
		{name: "jpeg's other extension", raw: "a.jpeg", mediaType: "image/jpeg",
			want: "a.jpeg"},
		{name: "wrong extension", raw: "a.exe", mediaType: "image/png", want: "a.exe.png"},
		{name: "bidi isolates and marks", raw: "a\u2066b\u200fc\u061c.txt",
			mediaType: "text/plain", want: "abc.txt"},
		{name: "zero-width and BOM", raw: "\ufeffa\u200bb.txt", mediaType: "text/plain",
			want: "ab.txt"},
		{name: "line separator", raw: "a\u2028b.txt", mediaType: "text/plain",
			want: "ab.txt"},
		{name: "invalid UTF-8", raw: "a\xffb.txt", mediaType: "text/plain", want: "ab.txt"},
		{name: "trailing dots and spaces", raw: " name.txt. . ", mediaType: "text/plain",
			want: "name.txt"},
		{name: "empty", raw: "", mediaType: "image/png", want: "file.png"},
		{name: "long multibyte", raw: strings.Repeat("é", 300) + ".pdf",
			mediaType: "application/pdf", want: strings.Repeat("é", 251) + ".pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeFileName(tt.raw, tt.mediaType); got != tt.want {
				t.Errorf("safeFileName(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}
