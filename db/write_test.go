package db_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

// TestWriteInOrg sends changes through WriteInOrg: each commits whole in one round trip
// (two when a statement's result must be seen first), or fails whole, and the pool's
// only connection comes back outside any transaction and bound to no organization.
func TestWriteInOrg(t *testing.T) {
	urls := dbtest.New(t)
	ctx := context.Background()
	counter := &dbtest.Counter{}
	store, err := db.Open(ctx, db.PoolOptions{AppURL: urls.App, StaffURL: urls.Staff,
		MaxConns: 1, Tracer: counter})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	f := dbtest.Seed(t, store, "x")
	acme := f.Acme.ID
	pid, _, _, err := store.ConnStateForTest(ctx)
	if err != nil {
		t.Fatal(err)
	}

	sum := sha256.Sum256([]byte("content"))
	file := func(org db.OrgID, name string) db.CreateFileParams {
		return db.CreateFileParams{ID: uuid.New(), OrgID: org, UploaderID: f.Bob.ID,
			Filename: name, StorageKey: "k/" + uuid.NewString(), Mime: "text/plain",
			Size: 7, Sha256: sum[:]}
	}
	entry := func(org db.OrgID, id uuid.UUID) db.CreateActivityParams {
		return db.CreateActivityParams{OrgID: org, ActorID: &f.Bob.ID,
			Action: "file.uploaded", TargetType: "file", TargetID: &id, Summary: "x"}
	}
	existing := file(acme, "existing.txt")
	if err := store.WriteInOrg(ctx, acme, func(w *db.Writes) {
		w.CreateFile(existing, &db.File{})
	}); err != nil {
		t.Fatal(err)
	}

	isPg := func(code string) func(error) bool {
		return func(err error) bool {
			var pgErr *pgconn.PgError
			return errors.As(err, &pgErr) && pgErr.Code == code &&
				!errors.Is(err, db.ErrMaybeCommitted)
		}
	}
	tests := []struct {
		name        string
		queue       func(w *db.Writes, name string, got *db.File, list *db.FilesArea)
		wantErr     func(error) bool // nil: no error
		wantWritten bool
		wantTrips   int64
		wantListed  int // files the batch's own read saw
	}{
		{name: "file, entry and the list: one round trip",
			queue: func(w *db.Writes, name string, got *db.File, list *db.FilesArea) {
				p := file(acme, name)
				w.CreateFile(p, got)
				w.CreateActivity(entry(acme, p.ID))
				w.FilePage(acme, nil, 50, list)
			}, wantWritten: true, wantTrips: 1, wantListed: 2},
		{name: "the last statement fails: the first is undone",
			queue: func(w *db.Writes, name string, got *db.File, _ *db.FilesArea) {
				p := file(acme, name)
				w.CreateFile(p, got)
				w.CreateActivity(entry(acme, p.ID))
				bad := file(acme, "bad.txt")
				bad.Sha256 = []byte("short")
				w.CreateFile(bad, &db.File{})
			}, wantErr: isPg("23514"), wantTrips: 2}, // the batch, then ROLLBACK
		{name: "another organization's row is refused by row-level security",
			queue: func(w *db.Writes, name string, got *db.File, _ *db.FilesArea) {
				p := file(acme, name)
				w.CreateFile(p, got)
				intruder := entry(f.Globex.ID, p.ID)
				intruder.ActorID = nil
				w.CreateActivity(intruder)
			}, wantErr: isPg("42501"), wantTrips: 2},
		{name: "a read that finds nothing: ErrNotFound, nothing written",
			queue: func(w *db.Writes, name string, got *db.File, _ *db.FilesArea) {
				p := file(acme, name)
				w.CreateFile(p, got)
				w.File(acme, uuid.New(), &db.GetFileRow{})
			}, wantErr: func(err error) bool { return errors.Is(err, db.ErrNotFound) },
			wantTrips: 2}, // the batch, then ROLLBACK
		{name: "a read that must find its row holds COMMIT back",
			queue: func(w *db.Writes, name string, got *db.File, _ *db.FilesArea) {
				p := file(acme, name)
				w.CreateFile(p, got)
				w.File(acme, existing.ID, &db.GetFileRow{})
			}, wantWritten: true, wantTrips: 2}, // the batch, then COMMIT
		{name: "another organization's row is not found",
			queue: func(w *db.Writes, name string, got *db.File, _ *db.FilesArea) {
				w.CreateFile(file(acme, name), got)
				w.File(f.Globex.ID, existing.ID, &db.GetFileRow{})
			}, wantErr: func(err error) bool { return errors.Is(err, db.ErrNotFound) },
			wantTrips: 2},
		{name: "a result the client cannot read after COMMIT: maybe committed",
			queue: func(w *db.Writes, name string, got *db.File, _ *db.FilesArea) {
				w.CreateFile(file(acme, name), got)
				db.MisreadForTest(w)
			}, wantErr: func(err error) bool { return errors.Is(err, db.ErrMaybeCommitted) },
			wantWritten: true, wantTrips: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, entries := fileNames(t, store, f), activityCount(t, store, f)
			var got db.File
			var list db.FilesArea
			counter.Reset()
			err := store.WriteInOrg(ctx, acme, func(w *db.Writes) {
				tt.queue(w, tt.name, &got, &list)
			})
			trips := counter.Count()
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !tt.wantErr(err) {
				t.Errorf("error = %v", err)
			}
			if trips != tt.wantTrips {
				t.Errorf("%d round trips, want %d", trips, tt.wantTrips)
			}
			want := before
			if tt.wantWritten {
				want = append(append([]string{}, before...), tt.name)
				if got.Filename != tt.name || got.OrgID != acme {
					t.Errorf("returned row = %+v", got)
				}
			}
			if diff := cmp.Diff(want, fileNames(t, store, f)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if tt.wantListed != 0 && len(list.Rows) != tt.wantListed {
				t.Errorf("the batch's read saw %d files, want %d", len(list.Rows), tt.wantListed)
			}
			if got := activityCount(t, store, f); tt.wantErr != nil && got != entries {
				t.Errorf("%d activity entries after a failed batch, %d before", got, entries)
			}

			gotPID, tx, org, err := store.ConnStateForTest(ctx)
			if err != nil || gotPID != pid || tx != 'I' || org != "" {
				t.Errorf("connection after the batch: pid %d (was %d), status %c, "+
					"app.org_id %q, error %v; want the same, idle, unbound", gotPID, pid, tx,
					org, err)
			}
		})
	}

	// A connection that breaks with the batch on its way: the client cannot know
	// whether COMMIT ran, and says so; the pool replaces the connection.
	before := fileNames(t, store, f)
	err = store.WriteInOrg(ctx, acme, func(w *db.Writes) {
		w.CreateFile(file(acme, "cut off.txt"), &db.File{})
		db.TerminateForTest(w)
	})
	if !errors.Is(err, db.ErrMaybeCommitted) {
		t.Errorf("connection lost: error = %v, want ErrMaybeCommitted", err)
	}
	if diff := cmp.Diff(before, fileNames(t, store, f)); diff != "" {
		t.Errorf("files after the lost connection (-want +got):\n%s", diff)
	}
	if err := store.WriteInOrg(ctx, acme, func(w *db.Writes) {
		w.CreateFile(file(acme, "after.txt"), &db.File{})
	}); err != nil {
		t.Errorf("write after the lost connection: %v", err)
	}

	if err := store.WriteInOrg(ctx, db.OrgID{}, func(*db.Writes) {}); err == nil {
		t.Error("WriteInOrg without an organization: no error")
	}
}

// fileNames lists Acme's files by name, oldest first.
func fileNames(t *testing.T, store *db.Store, f dbtest.Fixture) []string {
	t.Helper()
	var names []string
	err := store.Staff(context.Background(), func(q *db.Queries) error {
		rows, err := q.ListFiles(context.Background(), db.ListFilesParams{OrgID: f.Acme.ID,
			MaxRows: 100})
		for i := len(rows) - 1; i >= 0; i-- {
			names = append(names, rows[i].Filename)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func activityCount(t *testing.T, store *db.Store, f dbtest.Fixture) int {
	t.Helper()
	var n int
	err := store.Staff(context.Background(), func(q *db.Queries) error {
		rows, err := q.ListRecentActivity(context.Background(), db.ListRecentActivityParams{
			OrgID: f.Acme.ID, MaxRows: 100})
		n = len(rows)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
