package handlers

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"time"

	"github.com/go-chi/httprate"

	"github.com/jusb/portal/db"
)

// rateCountTimeout bounds each read or write of a shared rate count.
const rateCountTimeout = 2 * time.Second

// rateCounter counts one rate limit's requests in PostgreSQL (rate_count), so that the
// limit holds across every portal process, where httprate's own counter holds in one.
// It serves the credential routes' limits (sign-in, password reset, second factor,
// invitations), whose point is to slow guessing down; the uploads' limit stays in the
// process. Keys are stored as the SHA-256 of the limit's name and the key.
//
// A count that cannot be read or written lets the request through, with a warning:
// those routes need the database anyway, and fail on their own while it is away.
type rateCounter struct {
	store *db.Store
	log   *slog.Logger
	name  string
}

var _ httprate.LimitCounter = (*rateCounter)(nil)

// sharedCounter returns the counter of the rate limit called name.
func (s *Server) sharedCounter(name string) *rateCounter {
	return &rateCounter{store: s.store, log: s.log, name: name}
}

// Config is part of httprate.LimitCounter; the windows come with each call.
func (c *rateCounter) Config(int, time.Duration) {}

// Increment counts one request of key in the window starting at window.
func (c *rateCounter) Increment(key string, window time.Time) error {
	return c.IncrementBy(key, window, 1)
}

// IncrementBy counts n requests of key in the window starting at window.
func (c *rateCounter) IncrementBy(key string, window time.Time, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), rateCountTimeout)
	defer cancel()
	if err := c.store.AddRateCount(ctx, c.key(key), window, n); err != nil {
		c.log.Warn("rate count not written", slog.String("limit", c.name),
			slog.Any("error", err))
	}
	return nil
}

// Get returns key's counts in the current and the previous window.
func (c *rateCounter) Get(key string, current, previous time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rateCountTimeout)
	defer cancel()
	cur, prev, err := c.store.RateCounts(ctx, c.key(key), current, previous)
	if err != nil {
		c.log.Warn("rate count not read", slog.String("limit", c.name),
			slog.Any("error", err))
		return 0, 0, nil
	}
	return cur, prev, nil
}

// key is what rate_count stores for key: the SHA-256 of the limit's name and the key.
func (c *rateCounter) key(key string) []byte {
	sum := sha256.Sum256([]byte(c.name + "\x00" + key))
	return sum[:]
}
