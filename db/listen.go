package db

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notify sends payload to the listeners of channel with pg_notify, inside q's
// transaction: PostgreSQL delivers it when the transaction commits, and never if it
// rolls back, so listeners hear only of changes that happened. A payload must stay
// under 8000 bytes; send IDs, not content.
func (q *Queries) Notify(ctx context.Context, channel, payload string) error {
	if _, err := q.db.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// NotifyNow sends payload to the listeners of channel at once, outside any
// transaction, on the app connection. Only what holds no organization's data goes this
// way, such as the keys of ended sessions.
func (s *Store) NotifyNow(ctx context.Context, channel, payload string) error {
	return New(s.app).Notify(ctx, channel, payload)
}

// Listen backoff bounds: the first retry after a lost connection waits
// listenMinBackoff, each further one twice as long, up to listenMaxBackoff.
const (
	listenMinBackoff = 100 * time.Millisecond
	listenMaxBackoff = 10 * time.Second
)

// Listen calls notify with the payload of each notification on channel, in order,
// until ctx ends; then it returns nil. It holds one connection of its own, taken out
// of the app pool (so it never occupies a place that requests need), and when that
// connection fails it connects again, waiting longer after each failure (with jitter,
// up to 10 seconds). state, if not nil, is told (true, nil) each time LISTEN takes
// effect, and (false, why) when a connection is lost or cannot be made: notifications
// sent until the next (true, nil) are missed, so a caller that needs every one must
// catch up on its own. A dead connection that the server did not close is noticed by
// TCP keepalive.
//
// Notifications cross organizations: a listener must treat a payload as a hint and
// read what it names through InOrg or ReadInOrg for the organization it serves.
func (s *Store) Listen(ctx context.Context, channel string, notify func(payload string),
	state func(listening bool, err error)) error {
	if state == nil {
		state = func(bool, error) {}
	}
	backoff := listenMinBackoff
	for {
		listened, err := s.listenOnce(ctx, channel, notify, state)
		if ctx.Err() != nil {
			return nil
		}
		state(false, err)
		if listened {
			backoff = listenMinBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(2*backoff, listenMaxBackoff)
	}
}

// listenOnce connects, listens and passes notifications on until the connection
// fails or ctx ends, and says why. listened reports whether LISTEN took effect.
func (s *Store) listenOnce(ctx context.Context, channel string, notify func(string),
	state func(bool, error)) (listened bool, err error) {
	pooled, err := s.app.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("acquire listen connection: %w", err)
	}
	conn := pooled.Hijack()
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()

	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("listen %s: %w", channel, err)
	}
	state(true, nil)

	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("wait for notification on %s: %w", channel, err)
		}
		notify(n.Payload)
	}
}
