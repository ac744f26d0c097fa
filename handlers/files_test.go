package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/storage"
)

func init() {
	isolationFixtures = append(isolationFixtures,
		func(t testing.TB, env *testEnv) map[string]string {
			id := env.addFile(t, env.fix.Acme.ID, env.fix.Bob.ID, "Fixture notes.txt",
				[]byte("A file of Acme's.\n"))
			return map[string]string{"file_id": id.String()}
		})
}

// addFile stores content and records it as a file of org, behind the portal's back.
func (e *testEnv) addFile(t testing.TB, org db.OrgID, uploader uuid.UUID, name string,
	content []byte) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	key := newFileKey(org)
	up, err := e.srv.files.Create(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := up.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	var id uuid.UUID
	err = e.staffConn().QueryRow(ctx, `INSERT INTO file
		(org_id, uploader_id, filename, storage_key, mime, size, sha256)
		VALUES ($1, $2, $3, $4, 'text/plain; charset=utf-8', $5, $6) RETURNING id`,
		org, uploader, name, key, len(content), sum[:]).Scan(&id)
	if err != nil {
		t.Fatalf("insert file: %v", err)
	}
	return id
}

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

// fileRow is a file as the database holds it.
type fileRow struct {
	ID         uuid.UUID
	Filename   string
	StorageKey string
	Mime       string
	Size       int64
	SHA256     string
	Uploader   uuid.UUID
	Deleted    bool
}

func (e *testEnv) files(t testing.TB, org db.OrgID) []fileRow {
	t.Helper()
	rows, err := e.staffConn().Query(context.Background(), `SELECT id, filename,
		storage_key, mime, size, encode(sha256, 'hex'), uploader_id, deleted_at IS NOT NULL
		FROM file WHERE org_id = $1 ORDER BY created_at, id`, org)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []fileRow
	for rows.Next() {
		var f fileRow
		if err := rows.Scan(&f.ID, &f.Filename, &f.StorageKey, &f.Mime, &f.Size, &f.SHA256,
			&f.Uploader, &f.Deleted); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// activityOf returns org's activity entries of an action, as "summary" strings.
func (e *testEnv) activityOf(t testing.TB, org db.OrgID, action string) []string {
	t.Helper()
	rows, err := e.staffConn().Query(context.Background(), `SELECT summary FROM activity
		WHERE org_id = $1 AND action = $2 ORDER BY id`, org, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// blobs lists what the server's storage holds, leftovers included.
func (e *testEnv) blobs(t testing.TB) []storage.Item {
	t.Helper()
	var items []storage.Item
	err := e.srv.files.List(context.Background(), func(it storage.Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func (e *testEnv) blob(t testing.TB, key string) []byte {
	t.Helper()
	b, err := e.srv.files.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open blob %s: %v", key, err)
	}
	defer b.Content.Close()
	data, err := io.ReadAll(b.Content)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: uint8(x ^ y), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

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

// TestDeleteFile checks who may delete which file, and what deleting does: the row
// marked deleted with its activity entry, the download gone at once, the blob
// removed.
func TestDeleteFile(t *testing.T) {
	env := newTestEnv(t, Config{})
	clients := map[string]*testClient{}
	for _, email := range []string{"alice@acme.example", "bob@acme.example",
		"admin@jusb.example", "carol@globex.example"} {
		clients[email] = env.signedIn(email)
	}

	tests := []struct {
		name       string
		uploader   uuid.UUID
		actor      string
		slug       string
		fileID     string // instead of a new file's
		wantStatus int
	}{
		{name: "the uploader", uploader: env.fix.Bob.ID, actor: "bob@acme.example",
			wantStatus: 200},
		{name: "a client, someone else's file", uploader: env.fix.Alice.ID,
			actor: "bob@acme.example", wantStatus: 403},
		{name: "a client_admin, a client's file", uploader: env.fix.Bob.ID,
			actor: "alice@acme.example", wantStatus: 200},
		{name: "staff", uploader: env.fix.Bob.ID, actor: "admin@jusb.example",
			wantStatus: 200},
		{name: "another organization's member, with the ID in their own workspace",
			uploader: env.fix.Bob.ID, actor: "carol@globex.example", slug: "globex",
			wantStatus: 404},
		{name: "no such file", uploader: env.fix.Bob.ID, actor: "alice@acme.example",
			fileID: uuid.NewString(), wantStatus: 404},
		{name: "not an ID", uploader: env.fix.Bob.ID, actor: "alice@acme.example",
			fileID: "nope", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := env.addFile(t, env.fix.Acme.ID, tt.uploader, "Doomed "+tt.name+".txt",
				[]byte("doomed"))
			target := id.String()
			if tt.fileID != "" {
				target = tt.fileID
			}
			slug := "acme"
			if tt.slug != "" {
				slug = tt.slug
			}
			before := env.activityOf(t, env.fix.Acme.ID, "file.deleted")

			got := clients[tt.actor].post("/o/"+slug+"/files/"+target+"/delete", nil,
				"HX-Request", "true")
			if got.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", got.StatusCode, tt.wantStatus,
					got.body)
			}

			row := fileByID(t, env, id)
			download := env.signedIn("alice@acme.example").get("/o/acme/files/" + id.String())
			after := env.activityOf(t, env.fix.Acme.ID, "file.deleted")
			if tt.wantStatus != 200 || tt.fileID != "" {
				if row.Deleted || download.StatusCode != 200 || len(after) != len(before) {
					t.Errorf("refused delete changed something: deleted %v, download %d, "+
						"activity %q", row.Deleted, download.StatusCode, after)
				}
				return
			}
			if !strings.Contains(got.body, `data-testid="file-deleted"`) {
				t.Errorf("answer is not the deleted-file fragment: %s", got.body)
			}
			if !row.Deleted {
				t.Error("row not marked deleted")
			}
			if download.StatusCode != http.StatusNotFound {
				t.Errorf("download after delete: %d, want 404", download.StatusCode)
			}
			if _, err := env.srv.files.Open(context.Background(),
				row.StorageKey); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("blob after delete: %v, want it gone", err)
			}
			if len(after) != len(before)+1 || after[len(after)-1] != row.Filename {
				t.Errorf("file.deleted entries %q, want one more for %q", after, row.Filename)
			}
		})
	}

	// Without JavaScript the delete form's answer is a redirect to the list.
	id := env.addFile(t, env.fix.Acme.ID, env.fix.Bob.ID, "plain.txt", []byte("x"))
	got := clients["bob@acme.example"].post("/o/acme/files/"+id.String()+"/delete", nil)
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/o/acme/files" {
		t.Errorf("plain delete: %d to %q", got.StatusCode, got.Header.Get("Location"))
	}
}

func fileByID(t *testing.T, env *testEnv, id uuid.UUID) fileRow {
	t.Helper()
	for _, f := range env.files(t, env.fix.Acme.ID) {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no file %s", id)
	return fileRow{}
}

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
