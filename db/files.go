package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// FileCursor marks where a page of the file list ends: the next page holds the files
// older than it, in the list's order (newest first).
type FileCursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// FilesArea is a page of the organization's files and what all its live files take
// together (its quota's count).
type FilesArea struct {
	Rows  []ListFilesRow
	Usage GetFileUsageRow
}

// LoadFilePage reads one page of the organization's files, newest first, with their
// uploaders' names, and their usage, in one round trip: the first page when before is
// nil, else the files after the cursor. It asks for one row more than rows, so that
// the caller knows whether an older page exists.
func (s *Store) LoadFilePage(ctx context.Context, org OrgID, before *FileCursor,
	rows int32) (FilesArea, error) {
	var area FilesArea
	err := s.ReadInOrg(ctx, org, func(r *Reads) { r.FilePage(org, before, rows, &area) })
	return area, err
}

// FilePage queues LoadFilePage's reads into r; they land in dst. Queued in a
// WriteInOrg, they see the change's own rows.
func (r *Reads) FilePage(org OrgID, before *FileCursor, rows int32, dst *FilesArea) {
	readAggregate(r, getFileUsage, &dst.Usage, org)
	if before == nil {
		readMany(r, listFiles, &dst.Rows, org, rows+1)
		return
	}
	readMany(r, listFilesBefore, &dst.Rows, org, before.CreatedAt, before.ID, rows+1)
}

// CreateFile queues the row of a file whose blob is already final in storage; the
// row as stored lands in dst.
func (w *Writes) CreateFile(arg CreateFileParams, dst *File) {
	writeReturning(w, createFile, dst, paramArgs(arg)...)
}

// LoadFile reads one file that is not deleted, for its download, in one round trip.
// Another organization's file is ErrNotFound, like a missing one.
func (s *Store) LoadFile(ctx context.Context, org OrgID, id uuid.UUID) (GetFileRow, error) {
	var f GetFileRow
	err := s.ReadInOrg(ctx, org, func(r *Reads) { r.File(org, id, &f) })
	return f, err
}

// File queues LoadFile's read into r; the row lands in dst, and no row is
// ErrNotFound.
func (r *Reads) File(org OrgID, id uuid.UUID, dst *GetFileRow) {
	readOne(r, getFile, dst, org, id)
}

// LiveStorageKeys reports which of keys belong to a file that is not deleted, in
// any organization. Only the sweeper calls it (on the staff connection).
func (s *Store) LiveStorageKeys(ctx context.Context, keys []string) (map[string]bool, error) {
	live := make(map[string]bool, len(keys))
	err := s.Staff(ctx, func(q *Queries) error {
		found, err := q.ListLiveStorageKeysGlobal(ctx,
			ListLiveStorageKeysGlobalParams{StorageKeys: keys})
		for _, k := range found {
			live[k] = true
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look up storage keys: %w", err)
	}
	return live, nil
}

// FilesToCheck returns up to n live files of every organization after the file after
// (uuid.Nil for the first), in ID order, for `portal files check` (on the staff
// connection).
func (s *Store) FilesToCheck(ctx context.Context, after uuid.UUID, n int32) (
	[]ListFilesForCheckGlobalRow, error) {
	var rows []ListFilesForCheckGlobalRow
	err := s.Staff(ctx, func(q *Queries) (err error) {
		rows, err = q.ListFilesForCheckGlobal(ctx,
			ListFilesForCheckGlobalParams{AfterID: after, MaxRows: n})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list files to check: %w", err)
	}
	return rows, nil
}
