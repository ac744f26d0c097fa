package db_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

// TestIsUnavailable sorts real failures from PostgreSQL and pgx: the database away
// (nothing listening, the server ending the connection) against a statement's own
// error, which is the request's and not a try-later.
func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	urls := dbtest.New(t)
	owner := dbtest.Owner(t, urls)

	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	_, refused := db.Open(ctx, db.PoolOptions{
		AppURL:   "postgres://portal_app@" + closed + "/portal?sslmode=disable",
		StaffURL: "postgres://portal_staff@" + closed + "/portal?sslmode=disable"})

	// A connection the server ends, as it does to every one when it shuts down.
	victim, err := pgx.Connect(ctx, urls.Owner)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = victim.Close(ctx) })
	if _, err := owner.Exec(ctx, `SELECT pg_terminate_backend($1)`,
		victim.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	_, terminated := victim.Exec(ctx, `SELECT 1`)

	_, syntax := owner.Exec(ctx, `SELEC 1`)
	_, unique := owner.Exec(ctx, `CREATE TEMP TABLE twice (n int PRIMARY KEY);
		INSERT INTO twice VALUES (1), (1)`)
	_, timeout := owner.Exec(ctx, `SET statement_timeout = 10; SELECT pg_sleep(1)`)

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nothing listening", refused, true},
		{"ended by the server", terminated, true},
		{"wrapped by a handler", fmt.Errorf("load user: %w", terminated), true},
		{"syntax error", syntax, false},
		{"unique violation", unique, false},
		{"statement timeout", timeout, false},
		{"not found", db.ErrNotFound, false},
		{"no error", nil, false},
		{"a plain error", errors.New("nope"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil && tt.name != "no error" {
				t.Fatal("the step meant to fail did not")
			}
			if got := db.IsUnavailable(tt.err); got != tt.want {
				t.Errorf("IsUnavailable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
