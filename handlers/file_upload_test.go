package handlers

import (
	"archive/zip"
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// upload posts one file as upload.js does: multipart, with the CSRF token in the
// X-CSRF-Token header, as an HTMX request. Header pairs are added or override.
func (c *testClient) upload(path, name string, content []byte, header ...string) response {
	c.env.t.Helper()
	body, contentType := multipartBody(c.env.t, fileDisposition(name), content)
	req, err := http.NewRequest(http.MethodPost, c.env.ts.URL+path, body)
	if err != nil {
		c.env.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-CSRF-Token", c.csrfToken())
	req.Header.Set("Origin", c.origin)
	req.Header.Set("HX-Request", "true")
	setHeaders(req, header)
	return c.do(req)
}

// fileDisposition is the file part's Content-Disposition.
func fileDisposition(name string) string { return partDisposition("file", name) }

// partDisposition is the Content-Disposition of a file in the form field named
// field. A name with control characters goes in RFC 2231 form (filename*), the
// only way to carry them.
func partDisposition(field, name string) string {
	if strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		enc := strings.TrimPrefix(attachment(name)[strings.Index(attachment(name),
			"filename*="):], "filename*=")
		return `form-data; name="` + field + `"; filename*=` + enc
	}
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name)
	return `form-data; name="` + field + `"; filename="` + esc + `"`
}

func multipartBody(t testing.TB, disposition string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("csrf_token", "ignored: the header carries it"); err != nil {
		t.Fatal(err)
	}
	if disposition != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", disposition)
		h.Set("Content-Type", "image/png") // the browser's claim, which counts for nothing
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &body, mw.FormDataContentType()
}

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
