package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testStorage checks what every implementation promises; newStorage returns a fresh,
// empty one.
func testStorage(t *testing.T, newStorage func(t *testing.T) Storage) {
	ctx := context.Background()

	t.Run("round trip", func(t *testing.T) {
		st := newStorage(t)
		want := randomBytes(t, 100_000)
		put(t, st, "org/blob1", want)
		if got := get(t, st, "org/blob1"); !bytes.Equal(got, want) {
			t.Errorf("read back %d bytes, not the %d written", len(got), len(want))
		}
	})

	t.Run("nothing at the key before commit, nothing after abort", func(t *testing.T) {
		st := newStorage(t)
		up, err := st.Create(ctx, "org/pending")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := up.Write(randomBytes(t, 1000)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Open(ctx, "org/pending"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open before Commit: %v, want ErrNotFound", err)
		}
		if err := up.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		if _, err := st.Open(ctx, "org/pending"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open after Abort: %v, want ErrNotFound", err)
		}
		if items := list(t, st); len(items) != 0 {
			t.Errorf("after Abort, List = %v, want nothing", items)
		}
	})

	t.Run("seek and read a range", func(t *testing.T) {
		st := newStorage(t)
		data := randomBytes(t, 50_000)
		put(t, st, "org/ranged", data)
		b, err := st.Open(ctx, "org/ranged")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Content.Close()
		if b.Size != int64(len(data)) {
			t.Errorf("Size = %d, want %d", b.Size, len(data))
		}
		if end, err := b.Content.Seek(0, io.SeekEnd); err != nil || end != b.Size {
			t.Errorf("Seek to end = %d, %v; want %d", end, err, b.Size)
		}
		for _, r := range []struct{ off, n int64 }{{40_000, 1000}, {10, 20}, {49_990, 10}} {
			if _, err := b.Content.Seek(r.off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, r.n)
			if _, err := io.ReadFull(b.Content, got); err != nil {
				t.Fatalf("read %d bytes at %d: %v", r.n, r.off, err)
			}
			if !bytes.Equal(got, data[r.off:r.off+r.n]) {
				t.Errorf("bytes at %d differ", r.off)
			}
		}
	})

	t.Run("delete, twice", func(t *testing.T) {
		st := newStorage(t)
		put(t, st, "org/doomed", []byte("x"))
		for i := range 2 {
			if err := st.Delete(ctx, "org/doomed"); err != nil {
				t.Fatalf("Delete #%d: %v", i+1, err)
			}
		}
		if _, err := st.Open(ctx, "org/doomed"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open after Delete: %v, want ErrNotFound", err)
		}
	})

	t.Run("list and remove", func(t *testing.T) {
		st := newStorage(t)
		put(t, st, "a/one", []byte("1"))
		put(t, st, "b/two", []byte("22"))
		put(t, st, "three", []byte("333"))
		var keys []string
		for _, it := range list(t, st) {
			if it.Temporary {
				t.Errorf("unexpected leftover %q", it.Key)
			}
			keys = append(keys, it.Key)
		}
		sort.Strings(keys)
		if diff := cmp.Diff([]string{"a/one", "b/two", "three"}, keys); diff != "" {
			t.Errorf("List keys (-want +got):\n%s", diff)
		}
		for _, it := range list(t, st) {
			if err := st.Remove(ctx, it); err != nil {
				t.Fatalf("Remove %q: %v", it.Key, err)
			}
		}
		if items := list(t, st); len(items) != 0 {
			t.Errorf("after Remove, List = %v", items)
		}
	})

	t.Run("invalid keys", func(t *testing.T) {
		st := newStorage(t)
		for _, key := range []string{"", "../x", "a/../b", "a/b/c", ".tmp-x", "a/.tmp-x",
			"a b", "/abs", "a/", "x\x00y", `a\b`} {
			if _, err := st.Create(ctx, key); err == nil {
				t.Errorf("Create(%q) succeeded, want an error", key)
			}
			if _, err := st.Open(ctx, key); err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("Open(%q) = %v, want an invalid-key error", key, err)
			}
			if err := st.Delete(ctx, key); err == nil {
				t.Errorf("Delete(%q) succeeded, want an error", key)
			}
		}
	})
}

func put(t *testing.T, st Storage, key string, data []byte) {
	t.Helper()
	ctx := context.Background()
	up, err := st.Create(ctx, key)
	if err != nil {
		t.Fatalf("Create %q: %v", key, err)
	}
	if _, err := io.Copy(up, bytes.NewReader(data)); err != nil {
		t.Fatalf("write %q: %v", key, err)
	}
	if err := up.Commit(ctx); err != nil {
		t.Fatalf("Commit %q: %v", key, err)
	}
	if err := up.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v, want nil", err)
	}
}

func get(t *testing.T, st Storage, key string) []byte {
	t.Helper()
	b, err := st.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open %q: %v", key, err)
	}
	defer b.Content.Close()
	data, err := io.ReadAll(b.Content)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return data
}

func list(t *testing.T, st Storage) []Item {
	t.Helper()
	var items []Item
	if err := st.List(context.Background(), func(it Item) error {
		items = append(items, it)
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	return items
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{name: "org and random part", key: "0b7e3f7c-2f1a-4c7e-9d3a-1b2c3d4e5f60/ABCDEF234567",
			want: true},
		{name: "one level", key: "blob", want: true},
		{name: "empty", key: ""},
		{name: "parent", key: "../blob"},
		{name: "dot segment", key: "a/./b"},
		{name: "two levels", key: "a/b/c"},
		{name: "temporary name", key: ".tmp-123"},
		{name: "trailing slash", key: "a/"},
		{name: "space", key: "a b"},
		{name: "too long", key: string(bytes.Repeat([]byte("a"), 101))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidKey(tt.key); got != tt.want {
				t.Errorf("ValidKey(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}
