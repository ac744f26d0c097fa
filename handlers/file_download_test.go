package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUploadAndDownload uploads a picture and downloads it: the row, the blob under
// a random key, the activity entry and every download header.
func TestUploadAndDownload(t *testing.T) {
	env := newTestEnv(t, Config{})
	bob := env.signedIn("bob@acme.example")
	content := pngBytes(t, 64, 48)

	resp := bob.upload("/o/acme/files", "Site photo.png", content)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: status %d, body %s", resp.StatusCode, resp.body)
	}
	for _, want := range []string{`id="files-area"`, `data-testid="upload-notice"`,
		"Uploaded “Site photo.png”.", `data-testid="file-row"`} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("upload answer lacks %s", want)
		}
	}

	files := env.files(t, env.fix.Acme.ID)
	if len(files) != 1 {
		t.Fatalf("files = %+v, want one", files)
	}
	f := files[0]
	sum := sha256.Sum256(content)
	want := fileRow{ID: f.ID, Filename: "Site photo.png", StorageKey: f.StorageKey,
		Mime: "image/png", Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]),
		Uploader: env.fix.Bob.ID}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("file row (-want +got):\n%s", diff)
	}
	if !regexp.MustCompile(`^` + env.fix.Acme.ID.String() + `/[A-Z2-7]{26}$`).
		MatchString(f.StorageKey) {
		t.Errorf("storage key %q is not the organization's ID and a random part", f.StorageKey)
	}
	if !bytes.Equal(env.blob(t, f.StorageKey), content) {
		t.Error("the stored blob differs from the upload")
	}
	if got := env.activityOf(t, env.fix.Acme.ID, "file.uploaded"); !cmp.Equal(got,
		[]string{"Site photo.png"}) {
		t.Errorf("file.uploaded entries = %q", got)
	}

	got := env.signedIn("alice@acme.example").get("/o/acme/files/" + f.ID.String())
	if got.StatusCode != http.StatusOK || got.body != string(content) {
		t.Fatalf("download: status %d, %d bytes; want 200 and the %d uploaded",
			got.StatusCode, len(got.body), len(content))
	}
	wantHeaders := map[string]string{
		"Content-Type":            "image/png",
		"Content-Disposition":     disposition("Site photo.png", "Site%20photo.png"),
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox",
		"Etag":                    `"` + hex.EncodeToString(sum[:]) + `"`,
		"Accept-Ranges":           "bytes",
		"Content-Length":          strconv.Itoa(len(content)),
		"Cache-Control":           "private, no-cache",
	}
	gotHeaders := map[string]string{}
	for name := range wantHeaders {
		gotHeaders[name] = got.Header.Get(name)
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Errorf("download headers (-want +got):\n%s", diff)
	}
	if got.Header.Get("Last-Modified") == "" {
		t.Error("no Last-Modified")
	}

	// Without JavaScript's HX-Request the answer is a redirect to the list.
	plain := bob.upload("/o/acme/files", "Again.png", content, "HX-Request", "")
	if plain.StatusCode != http.StatusSeeOther || plain.Header.Get("Location") !=
		"/o/acme/files" {
		t.Errorf("plain upload: %d to %q, want 303 to /o/acme/files", plain.StatusCode,
			plain.Header.Get("Location"))
	}
	page := bob.get("/o/acme/files")
	for _, want := range []string{"Site photo.png", "Again.png", "Bob Brown",
		`src="/static/js/upload.js"`, `data-testid="upload-progress"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("files page lacks %s", want)
		}
	}
}

// TestDownloadRangesAndConditions checks Range requests and conditional GETs.
func TestDownloadRangesAndConditions(t *testing.T) {
	env := newTestEnv(t, Config{})
	content := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	id := env.addFile(t, env.fix.Acme.ID, env.fix.Bob.ID, "alphabet.txt", content)
	path := "/o/acme/files/" + id.String()
	bob := env.signedIn("bob@acme.example")
	first := bob.get(path)
	etag, modified := first.Header.Get("ETag"), first.Header.Get("Last-Modified")

	tests := []struct {
		name       string
		header     []string
		wantStatus int
		wantBody   string
		wantRange  string
	}{
		{name: "first ten bytes", header: []string{"Range", "bytes=0-9"},
			wantStatus: 206, wantBody: "0123456789", wantRange: "bytes 0-9/36"},
		{name: "last five bytes", header: []string{"Range", "bytes=-5"},
			wantStatus: 206, wantBody: "vwxyz", wantRange: "bytes 31-35/36"},
		{name: "range past the end", header: []string{"Range", "bytes=36-"},
			wantStatus: 416, wantRange: "bytes */36"},
		{name: "same ETag", header: []string{"If-None-Match", etag}, wantStatus: 304},
		{name: "other ETag", header: []string{"If-None-Match", `"other"`}, wantStatus: 200,
			wantBody: string(content)},
		{name: "not modified since", header: []string{"If-Modified-Since", modified},
			wantStatus: 304},
		{name: "If-Range matches", header: []string{"Range", "bytes=10-12", "If-Range", etag},
			wantStatus: 206, wantBody: "abc", wantRange: "bytes 10-12/36"},
		{name: "If-Range stale: whole file", header: []string{"Range", "bytes=10-12",
			"If-Range", `"stale"`}, wantStatus: 200, wantBody: string(content)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bob.get(path, tt.header...)
			if got.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", got.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != 416 && got.body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.body, tt.wantBody)
			}
			if r := got.Header.Get("Content-Range"); r != tt.wantRange {
				t.Errorf("Content-Range = %q, want %q", r, tt.wantRange)
			}
		})
	}
}

// disposition is the Content-Disposition of a download with an ASCII fallback name
// and the RFC 5987 encoding of the real one.
func disposition(fallback, encoded string) string {
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + encoded
}
