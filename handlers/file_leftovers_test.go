package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/handlers/storage"
)

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
