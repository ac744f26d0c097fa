package db

import (
	"errors"
	"fmt"

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

// translate maps pgx.ErrNoRows to ErrNotFound and leaves other errors as they are.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}
