package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Reads collects the queries of one page so that ReadInOrg sends them in a single
// round trip. Loaders in this package queue sqlc's query constants with readMany and
// readOne, passing the arguments in the order of the generated method.
type Reads struct {
	batch *pgx.Batch
	// confirm is set by a read that may find no row: inside WriteInOrg the client
	// must see its result before the change may commit.
	confirm bool
}

// ReadInOrg runs the reads that queue adds in one round trip, bound to org like InOrg.
// The batch opens with set_config('app.org_id', ..., true); all its statements run in
// the one implicit transaction the batch forms, so the setting ends with the batch and
// never reaches the next user of the connection. Use it for reads only: for a change,
// use InOrg.
func (s *Store) ReadInOrg(ctx context.Context, org OrgID, queue func(r *Reads)) error {
	if org.IsZero() {
		return errors.New("read in organization: no organization given")
	}
	return retryStale(func() error {
		batch := &pgx.Batch{}
		batch.Queue("SELECT set_config('app.org_id', $1, true)", org.String())
		queue(&Reads{batch: batch})

		conn, err := s.app.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("acquire connection: %w", err)
		}
		// Deferred, so that a panic in a row callback still gives the connection
		// back; Release destroys one left busy.
		defer conn.Release()
		if err := conn.SendBatch(ctx, batch).Close(); err != nil {
			return translate(err)
		}
		return nil
	})
}

// staleRetries is how many more times a batch is sent when a migration has made the
// plan of a statement the connection prepared before stale. pgx then forgets the
// batch's statements on that connection, so each try re-prepares them on the
// connection it gets; a pool holds several.
const staleRetries = 8

// retryStale runs send again while it fails on a stale plan. A batch is only ever sent
// again when nothing of it was kept: a read, or a write batch whose transaction was
// rolled back. The queue functions only assign what they read, so a try overwrites
// what the one before it left.
func retryStale(send func() error) error {
	for try := 0; ; try++ {
		err := send()
		if try == staleRetries || !IsStalePlan(err) {
			return err
		}
	}
}

// readMany queues a query whose rows land in dst, one struct per row, matched to the
// columns by position (as sqlc's row types are).
func readMany[T any](r *Reads, sql string, dst *[]T, args ...any) {
	r.batch.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[T])
		if err != nil {
			return fmt.Errorf("read rows: %w", err)
		}
		*dst = out
		return nil
	})
}

// readOne queues a query that must return exactly one row; none is ErrNotFound.
func readOne[T any](r *Reads, sql string, dst *T, args ...any) {
	r.confirm = true
	r.batch.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[T])
		if err != nil {
			return translate(err)
		}
		*dst = out
		return nil
	})
}

// readAggregate queues a query that returns one row whatever the data, such as sums
// over a table. Unlike readOne it needs no confirmation inside WriteInOrg: its answer
// cannot stop the change.
func readAggregate[T any](r *Reads, sql string, dst *T, args ...any) {
	r.batch.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[T])
		if err != nil {
			return fmt.Errorf("read aggregate: %w", err)
		}
		*dst = out
		return nil
	})
}

// readValue queues a query that returns one row of one column, such as a count.
func readValue[T any](r *Reads, sql string, dst *T, args ...any) {
	r.confirm = true
	r.batch.Queue(sql, args...).QueryRow(func(row pgx.Row) error {
		return translate(row.Scan(dst))
	})
}
