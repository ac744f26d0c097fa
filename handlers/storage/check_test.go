package storage

import (
	"context"
	"crypto/sha256"
	"testing"
)

// TestCheck compares blobs with their rows on both storages: an intact blob, one
// missing, one whose size and one whose bytes changed behind the portal's back.
func TestCheck(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) Storage{
		"local": func(t *testing.T) Storage {
			st, err := NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		"s3": func(t *testing.T) Storage { return newFakeS3(t, false) },
	} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			data := randomBytes(t, 300<<10)
			sum := sha256.Sum256(data)
			put(t, st, "org/intact", data)
			put(t, st, "org/shorter", data[:len(data)-1])
			changed := append([]byte(nil), data...)
			changed[1000] ^= 1
			put(t, st, "org/changed", changed)

			for _, tc := range []struct {
				key  string
				want Fault
			}{
				{"org/intact", ""},
				{"org/gone", FaultMissing},
				{"org/shorter", FaultSize},
				{"org/changed", FaultHash},
			} {
				got, err := Check(context.Background(), st, tc.key, int64(len(data)), sum[:])
				if err != nil || got != tc.want {
					t.Errorf("Check(%s) = %q, %v; want %q", tc.key, got, err, tc.want)
				}
			}
		})
	}
}
