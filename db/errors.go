package db

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound reports that a row does not exist or is not visible to the caller; the
// two are never told apart, so that another organization's IDs answer like missing
// ones. Store methods translate pgx.ErrNoRows into it.
var ErrNotFound = errors.New("not found")

// IsUniqueViolation reports whether err is PostgreSQL's unique_violation (23505).
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// IsUnavailable reports whether err says the database could not be reached or went
// away: a refused or failed connection, a connection cut mid-statement, or PostgreSQL
// shutting down, starting up or refusing connections (SQLSTATE class 08, 57P01 to
// 57P03). Such a failure is the database's, not the request's: the answer is 503 and a
// try later, where a query's own error stays a 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") ||
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}

// IsStalePlan reports whether err is PostgreSQL refusing a statement prepared before a
// migration changed the types it returns ("cached plan must not change result type").
// pgx forgets the statement on that connection, so the next try prepares it anew.
func IsStalePlan(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "0A000" &&
		strings.Contains(pgErr.Message, "cached plan must not change result type")
}

// translate maps pgx.ErrNoRows to ErrNotFound and leaves other errors as they are.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}
