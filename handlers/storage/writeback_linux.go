package storage

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeback starts the disk writing the n bytes at off of f, without waiting, and
// waits until the n bytes before them are on their way to the disk (Linux's
// sync_file_range). It reports whether the file system supports it. It makes no
// data durable: Commit's fsync still does that, only with little left to write.
func writeback(f *os.File, off, n int64) bool {
	fd := int(f.Fd())
	if err := unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE); err != nil {
		return false
	}
	if off >= n {
		const wait = unix.SYNC_FILE_RANGE_WAIT_BEFORE | unix.SYNC_FILE_RANGE_WRITE |
			unix.SYNC_FILE_RANGE_WAIT_AFTER
		if err := unix.SyncFileRange(fd, off-n, n, wait); err != nil {
			return false
		}
	}
	return true
}
