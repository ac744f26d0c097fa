package handlers

import (
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"
)

func TestCachedSessionStore(t *testing.T) {
	env := newTestEnv(t, Config{})
	pg := pgxstore.NewWithCleanupInterval(env.store.SessionPool(), 0)
	cache := newCachedStore(pg, 50*time.Millisecond, 100)
	expiry := time.Now().Add(time.Hour)

	if err := cache.Commit("tok", []byte("data"), expiry); err != nil {
		t.Fatal(err)
	}
	env.counter.Reset()
	if got, found, err := cache.Find("tok"); err != nil || !found || string(got) != "data" {
		t.Fatalf("Find = %q, %v, %v", got, found, err)
	}
	if n := env.counter.Count(); n != 0 {
		t.Errorf("a fresh session cost %d queries, want 0", n)
	}

	time.Sleep(60 * time.Millisecond)
	if _, found, _ := cache.Find("tok"); !found || env.counter.Count() != 1 {
		t.Errorf("after the ttl: found %v with %d queries, want a read from the database",
			found, env.counter.Count())
	}

	// Deleted in another process: still served until the ttl passes, then gone.
	if err := pg.Delete("tok"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if _, found, _ := cache.Find("tok"); found {
		t.Error("a session deleted elsewhere is still found after the ttl")
	}

	if err := cache.Commit("tok2", []byte("x"), expiry); err != nil {
		t.Fatal(err)
	}
	if err := cache.Delete("tok2"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := cache.Find("tok2"); found {
		t.Error("a session deleted here is still found")
	}
}
