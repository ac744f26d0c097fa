package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestFilesCheck checks the demo's blobs against their rows, then breaks two behind
// the portal's back, one removed and one with a byte changed, and checks that exactly
// those two are reported and fail the command.
func TestFilesCheck(t *testing.T) {
	urls := useDatabase(t)
	dir := t.TempDir()
	t.Setenv("FILES_DIR", dir)
	mustRun(t, "", "seed-demo")

	if out := mustRun(t, "", "files", "check"); !strings.Contains(out,
		"files checked: 7, intact: 7, not matching: 0, not read: 0") {
		t.Errorf("check of the demo files:\n%s", out)
	}
	if out := mustRun(t, "", "files", "check", "--limit", "3"); !strings.Contains(out,
		"files checked: 3, intact: 3") {
		t.Errorf("check of three:\n%s", out)
	}

	blob := func(name string) string {
		t.Helper()
		conn, err := pgx.Connect(context.Background(), urls.Staff)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var key string
		if err := conn.QueryRow(context.Background(),
			`SELECT storage_key FROM file WHERE filename = $1`, name).Scan(&key); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return filepath.Join(dir, filepath.FromSlash(key))
	}
	if err := os.Remove(blob("Budget 2027.csv")); err != nil {
		t.Fatal(err)
	}
	changed := blob("Requirements.txt")
	data, err := os.ReadFile(changed)
	if err != nil {
		t.Fatal(err)
	}
	data[0] ^= 0x20
	if err := os.WriteFile(changed, data, 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := runCommand(t, "", "files", "check")
	checkOneLine(t, err, "files check: 2 files do not match their rows")
	for _, want := range []string{
		"acme\t", `"Budget 2027.csv"` + "\tmissing\n",
		"globex\t", `"Requirements.txt"` + "\tcontent differs (SHA-256)\n",
		"files checked: 7, intact: 5, not matching: 2, not read: 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := runCommand(t, "", "files", "check", "--limit", "-1"); err == nil {
		t.Error("--limit -1 accepted")
	}
}
