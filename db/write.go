package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrMaybeCommitted reports that WriteInOrg failed after its COMMIT had left: either
// a result could not be read back (a mismatch between a query and its row type), or
// the connection broke with the COMMIT on its way. The change may stand, so a caller
// must not undo what it keeps outside the database (a stored blob) on this error;
// the sweeper settles such cases. Any other error from WriteInOrg means that nothing
// was written.
var ErrMaybeCommitted = errors.New("the change may have been committed")

// Writes collects the statements of one change so that WriteInOrg sends them in a
// single round trip. It holds a Reads, so any loader's reads can join the change
// and see its rows (the list to answer with, say).
type Writes struct {
	Reads
}

// WriteInOrg runs the statements that queue adds as one transaction bound to org,
// like InOrg, in one round trip: BEGIN, set_config('app.org_id', ..., true), the
// statements and COMMIT travel as one pipelined batch.
//
// When a statement fails, PostgreSQL skips the rest of the batch, COMMIT included,
// and WriteInOrg rolls the transaction back: nothing is written. A statement whose
// result only the client can judge (a single-row read or update that may find no
// row, reported as ErrNotFound) makes WriteInOrg hold the COMMIT back until it has
// read the results, at the cost of a second round trip; helpers mark such
// statements (Reads.confirm). The connection goes back to the pool outside any
// transaction, or is destroyed.
func (s *Store) WriteInOrg(ctx context.Context, org OrgID, queue func(w *Writes)) error {
	if org.IsZero() {
		return errors.New("write in organization: no organization given")
	}
	return retryStale(func() error { return s.writeInOrg(ctx, org, queue) })
}

// writeInOrg sends one WriteInOrg batch.
func (s *Store) writeInOrg(ctx context.Context, org OrgID, queue func(w *Writes)) error {
	w := &Writes{Reads{batch: &pgx.Batch{}}}
	began := false
	w.batch.Queue("BEGIN").Exec(func(pgconn.CommandTag) error {
		began = true
		return nil
	})
	w.batch.Queue("SELECT set_config('app.org_id', $1, true)", org.String())
	queue(w)
	if !w.confirm {
		// In a pipeline, a failed statement makes the server skip everything up to
		// the batch's end, so this COMMIT runs only when every statement succeeded.
		w.batch.Queue("COMMIT")
	}

	conn, err := s.app.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	// Release destroys a connection still inside a transaction or busy.
	defer conn.Release()
	err = conn.SendBatch(ctx, w.batch).Close()
	return settle(ctx, conn, err, began, w.confirm)
}

// settle ends a WriteInOrg batch that returned err: it commits a batch that waited
// for its results to be read, rolls back one left inside its transaction, and
// tells the caller whether the change may have been written.
func settle(ctx context.Context, conn *pgxpool.Conn, err error, began, confirm bool) error {
	pg := conn.Conn().PgConn()
	switch {
	case pg.IsClosed():
		// The batch, COMMIT included, may have reached the server before the
		// connection broke, whether or not its first result was read.
		if !confirm {
			return fmt.Errorf("%w: %w", ErrMaybeCommitted, err)
		}
		return fmt.Errorf("write batch: %w", err)
	case pg.TxStatus() != 'I' && err == nil && confirm:
		if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
			rollback(ctx, conn)
			if pg.IsClosed() {
				return fmt.Errorf("%w: commit: %w", ErrMaybeCommitted, err)
			}
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	case pg.TxStatus() != 'I':
		rollback(ctx, conn)
		if err == nil {
			return errors.New("write batch: left inside its transaction")
		}
		return translate(err)
	case err == nil:
		return nil
	}
	// Outside a transaction again, with an error: either the server refused BEGIN or
	// COMMIT (nothing written), or every statement and the COMMIT went through and
	// only reading a result back failed, on the client.
	var pgErr *pgconn.PgError
	if began && !confirm && !errors.As(err, &pgErr) {
		return fmt.Errorf("%w: read a result: %w", ErrMaybeCommitted, err)
	}
	return translate(err)
}

// rollback ends the connection's transaction, whatever became of the request; if
// even that fails, Release destroys the connection.
func rollback(ctx context.Context, conn *pgxpool.Conn) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = conn.Exec(rctx, "ROLLBACK")
}

// writeExec queues a statement whose failure only the server decides.
func writeExec(w *Writes, sql string, args ...any) {
	w.batch.Queue(sql, args...)
}

// writeReturning queues an INSERT ... RETURNING of one row into dst. An INSERT
// returns its row or fails on the server, so the COMMIT can travel with it.
func writeReturning[T any](w *Writes, sql string, dst *T, args ...any) {
	w.batch.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[T])
		if err != nil {
			return translate(err)
		}
		*dst = out
		return nil
	})
}
