package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix starts the name of a blob being written; keys never start with a dot.
const tempPrefix = ".tmp-"

// Local keeps blobs as files in one directory, which belongs to the portal alone
// (mode 0700) and must not be served by any file server. A key "a/b" is the file b
// in the subdirectory a. A blob is written to a temporary file beside its final
// name, synced, renamed into place and its directory synced, so that after a crash
// a key holds either the whole blob or nothing.
type Local struct {
	dir string
}

// NewLocal returns the storage in dir, creating the directory if need be and
// making it private to the portal's user.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local storage %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("local storage: %w", err)
	}
	if err := os.Chmod(abs, 0o700); err != nil {
		return nil, fmt.Errorf("local storage: %w", err)
	}
	return &Local{dir: abs}, nil
}

// Dir returns the storage's directory.
func (l *Local) Dir() string { return l.dir }

func (l *Local) path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(l.dir, filepath.FromSlash(key)), nil
}

// Create implements Storage.
func (l *Local) Create(_ context.Context, key string) (Upload, error) {
	final, err := l.path(key)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(final)
	if parent != l.dir {
		if err := os.Mkdir(parent, 0o700); err == nil {
			if err := syncDir(l.dir); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create blob directory: %w", err)
		}
	}
	f, err := os.CreateTemp(parent, tempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("create temporary blob: %w", err)
	}
	return &localUpload{f: f, final: final}, nil
}

type localUpload struct {
	f     *os.File
	final string
	done  bool
	// written is the size so far; flushed how much of it writeback has been asked
	// to send to the disk; noWriteback is set when the file system refuses.
	written, flushed int64
	noWriteback      bool
}

// writebackBytes is how much of a blob is sent to the disk at a time while it is
// being written.
const writebackBytes = 8 << 20

// Write appends p to the blob. Every writebackBytes, it starts writing the blob to
// the disk and waits for the step before, so that the disk works while the upload
// is still arriving and the fsync at Commit has at most two steps left to write,
// instead of the whole blob: a large upload then takes about as long as the slower
// of the network and the disk, not their sum. It also keeps a large upload from
// filling memory with dirty pages.
func (u *localUpload) Write(p []byte) (int, error) {
	n, err := u.f.Write(p)
	u.written += int64(n)
	for !u.noWriteback && u.written-u.flushed >= writebackBytes {
		if !writeback(u.f, u.flushed, writebackBytes) {
			u.noWriteback = true
		}
		u.flushed += writebackBytes
	}
	return n, err
}

// Commit syncs the temporary file, renames it to the final name and syncs the
// directory, which makes the rename durable.
func (u *localUpload) Commit(context.Context) error {
	if u.done {
		return errors.New("commit blob: upload already finished")
	}
	u.done = true
	tmp := u.f.Name()
	err := u.f.Sync()
	if cerr := u.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, u.final)
	}
	if err == nil {
		err = syncDir(filepath.Dir(u.final))
		if err != nil {
			_ = os.Remove(u.final)
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("commit blob: %w", err)
	}
	return nil
}

func (u *localUpload) Abort() error {
	if u.done {
		return nil
	}
	u.done = true
	_ = u.f.Close()
	if err := os.Remove(u.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort blob: %w", err)
	}
	return nil
}

// Open implements Storage.
func (l *Local) Open(_ context.Context, key string) (*Blob, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open blob: %w", err)
	}
	return &Blob{Content: f, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete implements Storage.
func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob: %w", err)
	}
	return nil
}

// List implements Storage. Files that are neither blobs nor temporary files, and
// deeper directories, are not the storage's and are left out.
func (l *Local) List(ctx context.Context, fn func(Item) error) error {
	top, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	for _, e := range top {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.IsDir() {
			if err := l.listFile(e, "", fn); err != nil {
				return err
			}
			continue
		}
		if !ValidKey(e.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(l.dir, e.Name()))
		if err != nil {
			return fmt.Errorf("list blobs: %w", err)
		}
		for _, f := range entries {
			if err := l.listFile(f, e.Name()+"/", fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *Local) listFile(e fs.DirEntry, prefix string, fn func(Item) error) error {
	if !e.Type().IsRegular() {
		return nil
	}
	temp := strings.HasPrefix(e.Name(), tempPrefix)
	if !temp && !ValidKey(prefix+e.Name()) {
		return nil
	}
	info, err := e.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return nil // removed since the directory was read
	}
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	return fn(Item{Key: prefix + e.Name(), Temporary: temp, Size: info.Size(),
		ModTime: info.ModTime()})
}

// Remove implements Storage.
func (l *Local) Remove(ctx context.Context, it Item) error {
	if !it.Temporary {
		return l.Delete(ctx, it.Key)
	}
	dir, name := "", it.Key
	if i := strings.LastIndexByte(it.Key, '/'); i >= 0 {
		dir, name = it.Key[:i], it.Key[i+1:]
	}
	if !strings.HasPrefix(name, tempPrefix) || strings.ContainsAny(name, `/\`) ||
		strings.Contains(name, "..") || (dir != "" && !ValidKey(dir)) {
		return fmt.Errorf("storage: invalid temporary name %q", it.Key)
	}
	err := os.Remove(filepath.Join(l.dir, filepath.FromSlash(it.Key)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove temporary blob: %w", err)
	}
	return nil
}

// syncDir makes the directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
