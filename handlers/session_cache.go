package handlers

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
)

// cachedStore keeps recently read sessions in memory in front of the PostgreSQL store,
// so that most requests read no session row. A session ended here is evicted at once
// and announced (ended); a session ended by another portal process is evicted when its
// announcement arrives (evict), and at the latest after ttl. While the announcements
// may be missed (the server's listener is not connected: untrusted), the cache is not
// used at all. The user row (active, role, session version) is read from the database
// on every request anyway, so a deactivated user is refused at once.
type cachedStore struct {
	next scs.Store
	ttl  time.Duration
	max  int
	// ended, if set, tells the other processes that a session was deleted here.
	ended func(token string)
	// untrusted is set while deletions elsewhere might go unheard.
	untrusted atomic.Bool

	mu      sync.Mutex
	entries map[string]cachedSession
}

type cachedSession struct {
	data    []byte
	expiry  time.Time // the session's own expiry
	fetched time.Time
}

// sessionCacheTTL is how long a session read from the database is trusted.
const sessionCacheTTL = 10 * time.Second

func newCachedStore(next scs.Store, ttl time.Duration, max int) *cachedStore {
	return &cachedStore{next: next, ttl: ttl, max: max, entries: map[string]cachedSession{}}
}

// Find returns a session from memory when fresh, from the next store otherwise.
func (c *cachedStore) Find(token string) ([]byte, bool, error) {
	now := time.Now()
	trusted := !c.untrusted.Load()
	c.mu.Lock()
	e, ok := c.entries[token]
	c.mu.Unlock()
	if trusted && ok && now.Sub(e.fetched) < c.ttl && now.Before(e.expiry) {
		return e.data, true, nil
	}

	data, found, err := c.next.Find(token)
	if err != nil || !found || !trusted {
		c.evict(token)
		return data, found, err
	}
	// The next store does not say when the session expires; trust it for ttl only.
	c.put(token, data, now.Add(c.ttl), now)
	return data, true, nil
}

// Commit writes through to the next store and keeps the new data.
func (c *cachedStore) Commit(token string, b []byte, expiry time.Time) error {
	if err := c.next.Commit(token, b, expiry); err != nil {
		c.evict(token)
		return err
	}
	c.put(token, b, expiry, time.Now())
	return nil
}

// Delete removes the session here and in the next store, and announces it.
func (c *cachedStore) Delete(token string) error {
	c.evict(token)
	if err := c.next.Delete(token); err != nil {
		return err
	}
	if c.ended != nil {
		c.ended(token)
	}
	return nil
}

// trust says whether deletions elsewhere are heard. Any change empties the cache:
// what it held may have been deleted unheard.
func (c *cachedStore) trust(heard bool) {
	c.untrusted.Store(!heard)
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

func (c *cachedStore) put(token string, data []byte, expiry, fetched time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		c.pruneLocked(fetched)
	}
	c.entries[token] = cachedSession{data: data, expiry: expiry, fetched: fetched}
}

// pruneLocked drops stale entries, and everything if that frees nothing: a cache miss
// costs one query, so a simple bound beats bookkeeping.
func (c *cachedStore) pruneLocked(now time.Time) {
	for k, e := range c.entries {
		if now.Sub(e.fetched) >= c.ttl || !now.Before(e.expiry) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
}

func (c *cachedStore) evict(token string) {
	c.mu.Lock()
	delete(c.entries, token)
	c.mu.Unlock()
}

// sessionEndedChannel carries the store keys of sessions deleted by any portal process
// (the SHA-256 of the token, as scs stores it), so that every process evicts them from
// its cache at once: a sign-out holds everywhere, not ttl later.
const sessionEndedChannel = "session_ended"

// announceSessionEnded tells every process, this one included, that the session with
// the store key token was deleted. A failure is logged: the others then keep the
// session for up to sessionCacheTTL.
func (s *Server) announceSessionEnded(token string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.store.NotifyNow(ctx, sessionEndedChannel, token); err != nil {
		s.log.Warn("session end not announced", slog.Any("error", err))
	}
}

// hearSessionsEnded evicts the sessions that other processes deleted, until ctx ends.
// While its connection is down the cache is not used (trust).
func (s *Server) hearSessionsEnded(ctx context.Context) {
	err := s.store.Listen(ctx, sessionEndedChannel, s.sessionCache.evict,
		func(listening bool, err error) {
			s.sessionCache.trust(listening)
			if !listening {
				s.log.Warn("not hearing other processes' sign-outs; sessions are read "+
					"from the database meanwhile", slog.Any("error", err))
			}
		})
	if err != nil {
		s.log.Error("session listener stopped", slog.Any("error", err))
	}
}
