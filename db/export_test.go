package db

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// PanicInReadForTest queues a read whose row callback panics.
func PanicInReadForTest(r *Reads) {
	r.batch.Queue("SELECT 1").QueryRow(func(pgx.Row) error { panic("in a row callback") })
}

// ConnStateForTest borrows a connection of the app pool and reports its backend's
// process ID, its transaction status and what it holds as app.org_id.
func (s *Store) ConnStateForTest(ctx context.Context) (pid uint32, tx byte, org string,
	err error) {
	conn, err := s.app.Acquire(ctx)
	if err != nil {
		return 0, 0, "", err
	}
	defer conn.Release()
	err = conn.QueryRow(ctx, "SELECT coalesce(current_setting('app.org_id', true), '')").Scan(&org)
	return conn.Conn().PgConn().PID(), conn.Conn().PgConn().TxStatus(), org, err
}

// MisreadForTest queues a read whose rows cannot fill their destination: the server
// answers, the client fails.
func MisreadForTest(w *Writes) {
	var dst []struct{ N bool }
	readMany(&w.Reads, "SELECT 'not a boolean'::text", &dst)
}

// TerminateForTest queues a statement that ends the connection's own backend, as a
// broken connection would end the batch.
func TerminateForTest(w *Writes) {
	writeExec(w, "SELECT pg_terminate_backend(pg_backend_pid())")
}
