package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"

	"github.com/google/uuid"

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
