package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSweep arranges a blob of a live file, an orphan, a young orphan, a leftover
// and a young leftover, and checks that only the old orphan and the old leftover go.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, key := range []string{"org/live", "org/orphan", "org/young"} {
		put(t, st, key, []byte(key))
	}
	oldLeftover := filepath.Join(dir, "org", tempPrefix+"old")
	youngLeftover := filepath.Join(dir, "org", tempPrefix+"young")
	for _, p := range []string{oldLeftover, youngLeftover} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"org/live", "org/orphan", "org/" + tempPrefix + "old"} {
		if err := os.Chtimes(filepath.Join(dir, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	live := func(_ context.Context, keys []string) (map[string]bool, error) {
		return map[string]bool{"org/live": true}, nil
	}

	dry, err := Sweep(ctx, st, SweepOptions{Live: live, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := SweepReport{Blobs: 3, Kept: 1, Orphans: 1, Leftovers: 1, Young: 2}
	if diff := cmp.Diff(want, dry); diff != "" {
		t.Errorf("dry run report (-want +got):\n%s", diff)
	}
	if n := len(list(t, st)); n != 5 {
		t.Errorf("dry run left %d items, want all 5", n)
	}

	rep, err := Sweep(ctx, st, SweepOptions{Live: live})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	var left []string
	for _, it := range list(t, st) {
		left = append(left, it.Key)
	}
	wantLeft := map[string]bool{"org/live": true, "org/young": true,
		"org/" + tempPrefix + "young": true}
	if len(left) != len(wantLeft) {
		t.Errorf("left %v, want %v", left, wantLeft)
	}
	for _, k := range left {
		if !wantLeft[k] {
			t.Errorf("%s was left, want it removed", k)
		}
	}

	// A failing lookup stops the sweep and removes no blob.
	put(t, st, "org/other", []byte("x"))
	broken := func(context.Context, []string) (map[string]bool, error) {
		return nil, errors.New("database down")
	}
	if _, err := Sweep(ctx, st, SweepOptions{Live: broken,
		Now: time.Now().Add(72 * time.Hour)}); err == nil {
		t.Error("Sweep with a failing lookup succeeded, want its error")
	}
	var blobs int
	for _, it := range list(t, st) {
		if !it.Temporary {
			blobs++
		}
	}
	if blobs != 3 {
		t.Errorf("after a failed sweep %d blobs, want all 3", blobs)
	}
}

// TestSweepS3 sweeps the S3 storage: an orphan goes, a blob of a file stays, an
// unfinished multipart upload is aborted.
func TestSweepS3(t *testing.T) {
	ctx := context.Background()
	st := newFakeS3(t, false)
	put(t, st, "org/live", []byte("live"))
	put(t, st, "org/orphan", []byte("orphan"))
	up, err := st.Create(ctx, "org/unfinished")
	if err != nil {
		t.Fatal(err)
	}
	// Over one part, so that a multipart upload is open while it is written.
	if _, err := up.Write(randomBytes(t, 6<<20)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(listUploads(t, st)) == 1 })

	rep, err := Sweep(ctx, st, SweepOptions{Now: time.Now().Add(48 * time.Hour),
		Live: func(context.Context, []string) (map[string]bool, error) {
			return map[string]bool{"org/live": true}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	want := SweepReport{Blobs: 2, Kept: 1, Orphans: 1, Leftovers: 1}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if n := len(listUploads(t, st)); n != 0 {
		t.Errorf("%d multipart uploads still open", n)
	}
	if _, err := st.Open(ctx, "org/orphan"); !errors.Is(err, ErrNotFound) {
		t.Errorf("orphan: %v, want ErrNotFound", err)
	}
	_ = up.Abort()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
