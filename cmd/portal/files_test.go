package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/handlers/storage"
)

// fileSettings are the environment variables loadFilesSettings reads.
var fileSettings = []string{"STORAGE", "FILES_DIR", "S3_BUCKET", "S3_ENDPOINT", "S3_REGION",
	"S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_FORCE_PATH_STYLE", "UPLOAD_MAX_BYTES",
	"UPLOAD_ALLOWED_TYPES", "UPLOAD_ORG_QUOTA_BYTES", "UPLOAD_ORG_QUOTA_FILES"}

func TestLoadFilesSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    filesSettings
		wantErr string
	}{
		{name: "nothing set: the defaults apply later", want: filesSettings{}},
		{name: "local", env: map[string]string{"STORAGE": "local", "FILES_DIR": "/srv/files",
			"UPLOAD_MAX_BYTES":     "1048576",
			"UPLOAD_ALLOWED_TYPES": "application/pdf, IMAGE/PNG,,text/plain"},
			want: filesSettings{Storage: "local", Dir: "/srv/files", MaxBytes: 1 << 20,
				AllowedTypes: []string{"application/pdf", "image/png", "text/plain"}}},
		{name: "s3", env: map[string]string{"STORAGE": "s3", "S3_BUCKET": "b",
			"S3_ENDPOINT": "https://s3.us-west-004.backblazeb2.com", "S3_REGION": "us-west-004",
			"S3_ACCESS_KEY_ID": "id", "S3_SECRET_ACCESS_KEY": "secret",
			"S3_FORCE_PATH_STYLE": "true"},
			want: filesSettings{Storage: "s3", S3: storage.S3Config{Bucket: "b",
				Endpoint: "https://s3.us-west-004.backblazeb2.com", Region: "us-west-004",
				AccessKeyID: "id", SecretAccessKey: "secret", ForcePathStyle: true}}},
		{name: "unknown storage", env: map[string]string{"STORAGE": "ftp"},
			wantErr: `STORAGE must be local or s3, not "ftp"`},
		{name: "s3 without a bucket", env: map[string]string{"STORAGE": "s3",
			"S3_ACCESS_KEY_ID": "id", "S3_SECRET_ACCESS_KEY": "secret"},
			wantErr: "STORAGE=s3 needs S3_BUCKET"},
		{name: "path style not a boolean", env: map[string]string{"S3_FORCE_PATH_STYLE": "yes"},
			wantErr: `S3_FORCE_PATH_STYLE must be true or false, not "yes"`},
		{name: "limit with a unit", env: map[string]string{"UPLOAD_MAX_BYTES": "100MB"},
			wantErr: `UPLOAD_MAX_BYTES must be a number of bytes above 0, not "100MB"`},
		{name: "limit zero", env: map[string]string{"UPLOAD_MAX_BYTES": "0"},
			wantErr: "UPLOAD_MAX_BYTES must be a number of bytes above 0"},
		{name: "quota", env: map[string]string{"UPLOAD_ORG_QUOTA_BYTES": "5368709120",
			"UPLOAD_ORG_QUOTA_FILES": "500"},
			want: filesSettings{OrgQuotaBytes: 5 << 30, OrgQuotaFiles: 500}},
		{name: "quota of files past an int32",
			env:     map[string]string{"UPLOAD_ORG_QUOTA_FILES": "3000000000"},
			wantErr: `UPLOAD_ORG_QUOTA_FILES must be a number of files above 0, not "3000000000"`},
		{name: "quota negative", env: map[string]string{"UPLOAD_ORG_QUOTA_BYTES": "-1"},
			wantErr: `UPLOAD_ORG_QUOTA_BYTES must be a number of bytes above 0, not "-1"`},
		{name: "not a media type", env: map[string]string{"UPLOAD_ALLOWED_TYPES": "pdf"},
			wantErr: `UPLOAD_ALLOWED_TYPES: "pdf" is not a media type`},
		{name: "media type with parameters",
			env:     map[string]string{"UPLOAD_ALLOWED_TYPES": "text/plain; charset=utf-8"},
			wantErr: `UPLOAD_ALLOWED_TYPES: "text/plain; charset=utf-8" is not a media type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range fileSettings {
				t.Setenv(name, "")
			}
			for name, v := range tt.env {
				t.Setenv(name, v)
			}
			got, err := loadFilesSettings()
			if tt.wantErr != "" {
				checkOneLine(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOpenStorageRefusesStatic keeps files out of static/.
func TestOpenStorageRefusesStatic(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := filesSettings{Dir: "static/uploads"}.openStorage()
	checkOneLine(t, err, "is inside static/")
	st, err := filesSettings{Dir: "data/files"}.openStorage()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat("data/files"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("files directory: %v, mode %v; want it made with 0700", err, fi.Mode())
	}
	if _, ok := st.(*storage.Local); !ok {
		t.Errorf("storage is %T, want local", st)
	}
}

// TestSeedDemoFilesAndSweep seeds the demo files twice (the second run adds none),
// checks them in the database and in storage, then sweeps: the demo files stay, an
// orphan and an old leftover go.
func TestSeedDemoFilesAndSweep(t *testing.T) {
	urls := useDatabase(t)
	dir := t.TempDir()
	t.Setenv("FILES_DIR", dir)
	mustRun(t, "", "seed-demo")
	mustRun(t, "", "seed-demo")

	conn, err := pgx.Connect(context.Background(), urls.Staff)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT o.slug, f.filename, f.mime,
		f.storage_key, encode(f.sha256, 'hex'), f.size
		FROM file f JOIN organization o ON o.id = f.org_id ORDER BY o.slug, f.filename`)
	if err != nil {
		t.Fatal(err)
	}
	type seeded struct{ Org, Name, Mime string }
	var got []seeded
	for rows.Next() {
		var s seeded
		var key, sum string
		var size int64
		if err := rows.Scan(&s.Org, &s.Name, &s.Mime, &key, &sum, &size); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
		if err != nil {
			t.Errorf("%s: blob: %v", s.Name, err)
			continue
		}
		if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != sum || int64(len(data)) != size {
			t.Errorf("%s: blob does not match its row", s.Name)
		}
	}
	rows.Close()
	want := []seeded{
		{"acme", "Budget 2027.csv", "text/csv"},
		{"acme", "Kick-off meeting notes.txt", "text/plain; charset=utf-8"},
		{"acme", "Office floor plan.png", "image/png"},
		{"acme", "Statement of work 2027.pdf", "application/pdf"},
		{"globex", "Requirements.txt", "text/plain; charset=utf-8"},
		{"globex", "Service agreement.pdf", "application/pdf"},
		{"globex", "Warehouse photo.png", "image/png"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("demo files after two runs (-want +got):\n%s", diff)
	}

	orgDir := filepath.Dir(firstBlob(t, dir))
	old := time.Now().Add(-48 * time.Hour)
	for _, name := range []string{"ORPHANED0000000000000000000", ".tmp-crashed"} {
		p := filepath.Join(orgDir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	out := mustRun(t, "", "files", "sweep", "--dry-run")
	if !strings.Contains(out, "blobs without a file to remove: 1") {
		t.Errorf("dry run output:\n%s", out)
	}
	out = mustRun(t, "", "files", "sweep")
	for _, line := range []string{"blobs: 8, of files: 7", "blobs without a file removed: 1",
		"leftovers of unfinished uploads removed: 1"} {
		if !strings.Contains(out, line) {
			t.Errorf("sweep output lacks %q:\n%s", line, out)
		}
	}
	orphan := filepath.Join(orgDir, "ORPHANED0000000000000000000")
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("orphan still there: %v", err)
	}
	_, err = runCommand(t, "", "files", "sweep", "--grace", "1s")
	checkOneLine(t, err, "--grace must be at least 1m0s")
}

func firstBlob(t *testing.T, dir string) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*", "*"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no blob in %s: %v", dir, err)
	}
	return matches[0]
}
