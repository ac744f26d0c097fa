package handlers

import (
	"net/http"
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"
)

func TestCachedSessionStore(t *testing.T) {
	env := newTestEnv(t, Config{}) // its server's listener is up: no query of it counts
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

// TestSignOutHoldsInEveryProcess signs out at one process while another holds the
// session in its cache: the other refuses the old cookie (as a second tab or a stolen
// copy would send it) as soon as the announcement arrives, well before the cache's
// ttl, where a session deleted without an announcement stays served until then.
func TestSignOutHoldsInEveryProcess(t *testing.T) {
	env := newTestEnv(t, Config{})
	other := env.secondProcess(t, Config{})
	waitHeard(t, env)
	waitHeard(t, other)
	alice, bob := env.signedIn("alice@acme.example"), env.signedIn("bob@acme.example")
	aliceCookie, bobCookie := alice.cookie(sessionCookieName), bob.cookie(sessionCookieName)
	hc := other.ts.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	atOther := func(cookie string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, other.ts.URL+"/o/acme", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookieName, Value: cookie})
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, cookie := range []string{aliceCookie, bobCookie} {
		if got := atOther(cookie); got != http.StatusOK {
			t.Fatalf("the other process before: %d, want 200", got)
		}
	}

	// Behind both processes' backs: the other still serves Bob from its cache.
	env.exec(t, `DELETE FROM sessions`)
	if got := atOther(bobCookie); got != http.StatusOK {
		t.Fatalf("a session deleted unannounced: %d, want 200 from the cache", got)
	}

	if got := alice.post("/signout", nil); got.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", got.StatusCode)
	}
	got := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if got = atOther(aliceCookie); got == http.StatusSeeOther {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got != http.StatusSeeOther {
		t.Errorf("Alice's old cookie at the other process after her sign-out: %d, want "+
			"303 to sign in", got)
	}
}

// waitHeard waits until e's server hears other processes' sign-outs, and so uses its
// session cache.
func waitHeard(t testing.TB, e *testEnv) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); e.srv.sessionCache.untrusted.Load(); {
		if time.Now().After(deadline) {
			t.Fatal("the session listener did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
