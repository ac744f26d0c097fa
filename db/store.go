package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the one way into the database for tenant data. It holds two pools: app,
// connected as portal_app and confined by row-level security, and staff, connected as
// portal_staff, for the explicit cross-organization path. No other package holds a
// pool (a test in this package checks that), so every tenant query runs in a
// transaction that InOrg has bound to one organization.
type Store struct {
	app   *pgxpool.Pool
	staff *pgxpool.Pool
}

// PoolOptions configures the connections Open makes.
type PoolOptions struct {
	// AppURL connects as portal_app; StaffURL as portal_staff.
	AppURL, StaffURL string
	// MaxConns caps each pool; 0 keeps pgxpool's default, the greater of 4 and the
	// number of CPUs.
	MaxConns int32
	// Tracer, when set, sees every query of both pools (the query-count harness).
	Tracer pgx.QueryTracer
}

// Open connects both pools and checks that each answers.
func Open(ctx context.Context, opts PoolOptions) (*Store, error) {
	app, err := openPool(ctx, opts.AppURL, opts)
	if err != nil {
		return nil, fmt.Errorf("open app pool: %w", err)
	}
	staff, err := openPool(ctx, opts.StaffURL, opts)
	if err != nil {
		app.Close()
		return nil, fmt.Errorf("open staff pool: %w", err)
	}
	return &Store{app: app, staff: staff}, nil
}

func openPool(ctx context.Context, url string, opts PoolOptions) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	cfg.ConnConfig.Tracer = opts.Tracer
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	// A stuck query or an abandoned transaction must not hold a connection forever.
	params := cfg.ConnConfig.RuntimeParams
	if params["statement_timeout"] == "" {
		params["statement_timeout"] = "15s"
	}
	if params["idle_in_transaction_session_timeout"] == "" {
		params["idle_in_transaction_session_timeout"] = "30s"
	}
	if params["application_name"] == "" {
		params["application_name"] = "portal"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping %s as %s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.User, err)
	}
	return pool, nil
}

// Close closes both pools.
func (s *Store) Close() {
	s.app.Close()
	s.staff.Close()
}

// Ping reports whether the database answers, for the readiness check.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.app.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// SessionPool returns the app pool for the session store. The sessions table holds no
// tenant data and stays outside row-level security; nothing else may use this pool.
func (s *Store) SessionPool() *pgxpool.Pool { return s.app }

// DeleteExpiredSessions removes the sessions past their expiry and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	n, err := New(s.app).DeleteExpiredSessionsGlobal(ctx)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

// InOrg runs fn in a transaction bound to one organization: row-level security lets it
// see and change only that organization's rows. The organization is set
// transaction-local, so it ends with the transaction and never leaks to the next user
// of the pooled connection. fn's error, or a failed commit, rolls everything back.
func (s *Store) InOrg(ctx context.Context, org OrgID, fn func(q *Queries) error) error {
	if org.IsZero() {
		return errors.New("in organization: no organization given")
	}
	const begin = "BEGIN; SELECT set_config('app.org_id', $1, true)"
	return inTx(ctx, s.app, begin, []any{org.String()}, fn)
}

// ForSignIn runs fn in a transaction that may read the user row with the given e-mail
// address, whatever its organization, and nothing else of any organization. It is the
// only way to find a user before their organization is known.
func (s *Store) ForSignIn(ctx context.Context, email string, fn func(q *Queries) error) error {
	const begin = "BEGIN; SELECT set_config('app.signin_email', $1, true)"
	return inTx(ctx, s.app, begin, []any{email}, fn)
}

// ForPasswordReset runs fn in a transaction that may read the password reset whose
// token has the SHA-256 tokenHash, and that reset's user, whatever their organization,
// and nothing else. It is how a reset link is checked before its organization is known;
// the reset itself is then claimed and carried out in InOrg.
func (s *Store) ForPasswordReset(ctx context.Context, tokenHash []byte,
	fn func(q *Queries) error) error {
	if len(tokenHash) != sha256.Size {
		return errors.New("for password reset: not a SHA-256 hash")
	}
	const begin = "BEGIN; SELECT set_config('app.reset_token_hash', $1, true)"
	return inTx(ctx, s.app, begin, []any{hex.EncodeToString(tokenHash)}, fn)
}

// Staff runs fn in a transaction on the staff connection, which sees every
// organization. Only staff routes and operator commands call it.
func (s *Store) Staff(ctx context.Context, fn func(q *Queries) error) error {
	return inTx(ctx, s.staff, "BEGIN", nil, fn)
}

// inTx begins a transaction with begin (one round trip, the setting included), runs fn
// on it and commits. The simple protocol lets BEGIN and set_config travel together;
// pgx quotes the arguments.
func inTx(ctx context.Context, pool *pgxpool.Pool, begin string, args []any,
	fn func(q *Queries) error) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	// Release destroys a connection still inside a transaction, so a failed rollback
	// cannot hand an open transaction to the next caller.
	defer conn.Release()

	execArgs := append([]any{pgx.QueryExecModeSimpleProtocol}, args...)
	if _, err := conn.Exec(ctx, begin, execArgs...); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}

	committed := false
	defer func() {
		if committed {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.Exec(rctx, "ROLLBACK")
	}()

	if err := fn(New(rowsConn{conn})); err != nil {
		return err
	}

	tag, err := conn.Exec(ctx, "COMMIT")
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	// COMMIT of a transaction that already failed reports ROLLBACK, not an error.
	if tag.String() == "ROLLBACK" {
		return errors.New("commit: transaction was rolled back")
	}
	return nil
}

// rowsConn translates pgx.ErrNoRows from single-row queries into ErrNotFound where it
// happens, so that code inside a transaction can test for ErrNotFound too.
type rowsConn struct{ *pgxpool.Conn }

func (c rowsConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return notFoundRow{c.Conn.QueryRow(ctx, sql, args...)}
}

type notFoundRow struct{ pgx.Row }

func (r notFoundRow) Scan(dest ...any) error { return translate(r.Row.Scan(dest...)) }
