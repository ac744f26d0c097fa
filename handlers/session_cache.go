package handlers

import (
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// cachedStore keeps recently read sessions in memory in front of the PostgreSQL store,
// so that most requests read no session row. What it trades: a session ended by
// another portal process stays readable here for up to ttl. This process's own
// sign-outs evict at once, and the user row (active, role, session version) is still
// read from the database on every request, so a deactivated user is refused at once.
type cachedStore struct {
	next scs.Store
	ttl  time.Duration
	max  int

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
	c.mu.Lock()
	e, ok := c.entries[token]
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl && now.Before(e.expiry) {
		return e.data, true, nil
	}

	data, found, err := c.next.Find(token)
	if err != nil || !found {
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

// Delete removes the session here and in the next store.
func (c *cachedStore) Delete(token string) error {
	c.evict(token)
	return c.next.Delete(token)
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
