package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

// Fault is what is wrong with a blob against the row that describes it.
type Fault string

// The faults Check finds; the empty Fault means the blob is intact.
const (
	FaultMissing Fault = "missing"
	FaultSize    Fault = "size differs"
	FaultHash    Fault = "content differs (SHA-256)"
)

// Check reads the blob at key whole and compares it with the size and SHA-256 that
// its file's row recorded at upload. It returns the fault found, or "" when the blob
// is intact; err is for a blob that could not be read at all, such as a storage that
// does not answer.
func Check(ctx context.Context, st Storage, key string, size int64, sum []byte) (Fault,
	error) {
	blob, err := st.Open(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return FaultMissing, nil
	}
	if err != nil {
		return "", fmt.Errorf("check %s: %w", key, err)
	}
	defer blob.Content.Close()

	h := sha256.New()
	n, err := io.Copy(h, blob.Content)
	if err != nil {
		return "", fmt.Errorf("check %s: read: %w", key, err)
	}
	switch {
	case n != size:
		return FaultSize, nil
	case !bytes.Equal(h.Sum(nil), sum):
		return FaultHash, nil
	}
	return "", nil
}
