package handlers

import (
	"net/http"
	"strings"
	"testing"
)

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
