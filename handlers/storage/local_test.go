package storage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocal(t *testing.T) {
	testStorage(t, func(t *testing.T) Storage {
		st, err := NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// TestLocalOnDisk checks what the local storage does on the disk: private modes, the
// temporary file beside the final name, and what List reports of leftovers.
func TestLocalOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "files")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mode := stat(t, dir).Mode().Perm(); mode != 0o700 {
		t.Errorf("directory mode %o, want 700 (tightened)", mode)
	}

	up, err := st.Create(ctx, "org/blob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	temps, _ := filepath.Glob(filepath.Join(dir, "org", tempPrefix+"*"))
	if len(temps) != 1 {
		t.Fatalf("while writing: temporary files %v, want one beside the final name", temps)
	}
	items := list(t, st)
	if len(items) != 1 || !items[0].Temporary || !strings.HasPrefix(items[0].Key, "org/.tmp-") {
		t.Errorf("List while writing = %+v, want one temporary item", items)
	}
	if err := up.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(temps[0]); !os.IsNotExist(err) {
		t.Errorf("temporary file still there after Commit: %v", err)
	}
	if mode := stat(t, filepath.Join(dir, "org")).Mode().Perm(); mode != 0o700 {
		t.Errorf("organization directory mode %o, want 700", mode)
	}
	if mode := stat(t, filepath.Join(dir, "org", "blob")).Mode().Perm(); mode != 0o600 {
		t.Errorf("blob mode %o, want 600", mode)
	}

	// A leftover from a crash, and files that are not the storage's.
	leftover := filepath.Join(dir, "org", tempPrefix+"crashed")
	for _, p := range []string{leftover, filepath.Join(dir, "README.txt"),
		filepath.Join(dir, "org", "not a key")} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, it := range list(t, st) {
		if it.Temporary {
			got = append(got, "temporary "+it.Key)
			if err := st.Remove(ctx, it); err != nil {
				t.Errorf("Remove leftover: %v", err)
			}
		} else {
			got = append(got, "blob "+it.Key)
		}
	}
	if strings.Join(got, ",") != "temporary org/.tmp-crashed,blob org/blob" &&
		strings.Join(got, ",") != "blob org/blob,temporary org/.tmp-crashed" {
		t.Errorf("List = %v, want the blob and the leftover only", got)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover still there after Remove: %v", err)
	}
	for _, key := range []string{"../x", "org/../../x", "org/blob"} {
		if err := st.Remove(ctx, Item{Key: key, Temporary: true}); err == nil {
			t.Errorf("Remove of temporary %q succeeded, want a refusal", key)
		}
	}
}

func stat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
