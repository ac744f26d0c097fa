package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/jusb/portal/db/dbtest"
)

// secondProcess starts another portal server on env's database, as a second process
// behind the load balancer would run: nothing in memory is shared with env's.
func (e *testEnv) secondProcess(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	hasher := e.srv.hasher
	srv := New(cfg, e.store, hasher, slog.New(slog.NewTextHandler(e.logs, nil)))
	t.Cleanup(srv.Close)
	ts := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(ts.Close)
	other := *e
	other.srv, other.ts = srv, ts
	return &other
}

// TestRateLimitsAcrossProcesses signs in against two portal processes on one database
// (R3): the per-e-mail and per-address limits count the attempts made at both, where
// each process used to count its own; the counts hold no address.
func TestRateLimitsAcrossProcesses(t *testing.T) {
	cfg := Config{SignInPerEmail: Rate{Count: 3, Window: 60e9},
		SignInPerIP: Rate{Count: 6, Window: 60e9}}
	env := newTestEnv(t, cfg)
	other := env.secondProcess(t, cfg)
	processes := []*testEnv{env, other}

	t.Run("per e-mail address", func(t *testing.T) {
		var got []int
		for i := range 4 {
			c := processes[i%2].client()
			got = append(got, c.signIn("alice@acme.example", "wrong password").StatusCode)
		}
		want := []int{401, 401, 401, 429}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("attempts at the two processes: %v, want %v", got, want)
			}
		}
	})
	t.Run("per client address", func(t *testing.T) {
		// Three addresses more from the same client: its sixth and seventh attempts.
		var got []int
		for i := range 3 {
			c := processes[i%2].client()
			form := url.Values{"email": {"nobody" + string(rune('a'+i)) + "@acme.example"},
				"password": {"x"}}
			got = append(got, c.post("/signin", form).StatusCode)
		}
		want := []int{401, 401, http.StatusTooManyRequests}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("attempts at the two processes: %v, want %v", got, want)
			}
		}
	})

	owner := dbtest.Owner(t, env.urls)
	var rows, withAddress int
	err := owner.QueryRow(context.Background(), `SELECT count(*),
		count(*) FILTER (WHERE position(convert_to('alice', 'UTF8') IN key) > 0
		                 OR position(convert_to('127.0.0.1', 'UTF8') IN key) > 0)
		FROM rate_count`).Scan(&rows, &withAddress)
	if err != nil || rows == 0 || withAddress != 0 {
		t.Errorf("rate_count: %d rows, %d with an address in the clear (%v)", rows,
			withAddress, err)
	}
}
