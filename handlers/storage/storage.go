// Package storage keeps the contents of uploaded files (blobs) under random keys, on
// the local disk or in S3-compatible object storage, behind one interface. A blob is
// written under a temporary name and appears at its key only when committed, so that
// a failed or interrupted upload never leaves half a file where a whole one belongs.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// ErrNotFound reports that no blob exists at a key.
var ErrNotFound = errors.New("storage: blob not found")

// Storage is where blobs live. Keys are chosen by the caller; see ValidKey.
type Storage interface {
	// Create starts the blob that will be stored under key. What is written goes to a
	// temporary name; nothing appears at key until the Upload's Commit succeeds.
	Create(ctx context.Context, key string) (Upload, error)
	// Open opens the blob at key for reading, with seeking (for Range requests). A
	// missing blob is ErrNotFound.
	Open(ctx context.Context, key string) (*Blob, error)
	// Delete removes the blob at key. A blob that is already gone is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every blob and every leftover of an unfinished upload, in no
	// particular order. An error from fn stops the listing and is returned.
	List(ctx context.Context, fn func(Item) error) error
	// Remove removes what List found: a blob, or the leftover of an upload.
	Remove(ctx context.Context, it Item) error
}

// Upload is a blob being written.
type Upload interface {
	io.Writer
	// Commit makes the blob final: once it returns nil, Open finds the blob at its
	// key, and it survives a crash. A failed Commit leaves nothing behind.
	Commit(ctx context.Context) error
	// Abort discards what was written. After a successful Commit it does nothing.
	Abort() error
}

// Blob is an open blob.
type Blob struct {
	// Content reads the blob. On the local disk it is the *os.File itself, so that
	// net/http can send it with sendfile.
	Content io.ReadSeekCloser
	Size    int64
	ModTime time.Time
}

// Item is what List finds.
type Item struct {
	// Key is the blob's key; for a leftover, the key it was meant for or its own
	// temporary name.
	Key string
	// Temporary marks the leftover of an upload that was never committed.
	Temporary bool
	Size      int64
	ModTime   time.Time
	// uploadID names an unfinished S3 multipart upload.
	uploadID string
}

// keyPattern allows one optional directory level of letters, digits, '-' and '_',
// each part starting with a letter or digit: no dots, so no "..", and no name that
// could collide with a temporary one (those start with a dot).
var keyPattern = regexp.MustCompile(`^` + keyPart + `(/` + keyPart + `)?$`)

const keyPart = `[A-Za-z0-9][A-Za-z0-9_-]{0,99}`

// ValidKey reports whether key may name a blob.
func ValidKey(key string) bool { return keyPattern.MatchString(key) }

func checkKey(key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("storage: invalid key %q", key)
	}
	return nil
}
