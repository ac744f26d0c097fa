package db

import "github.com/jackc/pgx/v5"

// PanicInReadForTest queues a read whose row callback panics.
func PanicInReadForTest(r *Reads) {
	r.batch.Queue("SELECT 1").QueryRow(func(pgx.Row) error { panic("in a row callback") })
}
