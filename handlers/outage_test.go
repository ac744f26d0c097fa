package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jusb/portal/db/dbtest"
)

// newEnvBehindProxy starts a portal whose pools reach PostgreSQL through a proxy that
// the test can cut.
func newEnvBehindProxy(t *testing.T) (*testEnv, *dbtest.Proxy) {
	t.Helper()
	var proxy *dbtest.Proxy
	env := newEnv(t, Config{}, func(u dbtest.URLs) dbtest.URLs {
		app, err := url.Parse(u.App)
		if err != nil {
			t.Fatal(err)
		}
		proxy = dbtest.StartProxy(t, app.Host)
		u.App, u.Staff = proxy.Through(u.App), proxy.Through(u.Staff)
		return u
	})
	return env, proxy
}

// TestDatabaseOutage cuts the portal off from PostgreSQL while a user works (F5):
// pages, fragments and changes answer 503 with a page or fragment that says to try
// again, nothing is half-written, readiness says not ready while liveness stays up,
// and once the database is back the same process serves again, without a restart.
func TestDatabaseOutage(t *testing.T) {
	env, proxy := newEnvBehindProxy(t)
	c := env.signedIn("alice@acme.example")
	token := c.csrfToken()
	if got := c.get("/o/acme/tasks"); got.StatusCode != http.StatusOK {
		t.Fatalf("tasks before the outage: %d", got.StatusCode)
	}

	proxy.Cut()
	for _, tc := range []struct {
		name, method, path string
		header             []string
		inBody             string
	}{
		{"page", "GET", "/o/acme/tasks", nil, "briefly unavailable"},
		{"fragment", "GET", "/o/acme/tasks?status=open", []string{"HX-Request", "true"},
			"briefly unavailable"},
		{"change", "POST", "/o/acme/tasks", nil, "briefly unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got response
			if tc.method == "POST" {
				got = c.post(tc.path, url.Values{"title": {"Written in the outage"},
					"csrf_token": {token}}, tc.header...)
			} else {
				got = c.get(tc.path, tc.header...)
			}
			if got.StatusCode != http.StatusServiceUnavailable ||
				!strings.Contains(got.body, tc.inBody) {
				t.Errorf("status %d, body %.300q; want 503 saying %q", got.StatusCode,
					got.body, tc.inBody)
			}
			if tc.name == "fragment" && got.Header.Get("HX-Retarget") != "#flash" {
				t.Errorf("fragment retargeted to %q, want the flash area",
					got.Header.Get("HX-Retarget"))
			}
		})
	}
	// The load balancer's probes carry no session.
	probe := env.client()
	if got := probe.get("/readyz"); got.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz during the outage: %d, want 503", got.StatusCode)
	}
	if got := probe.get("/healthz"); got.StatusCode != http.StatusOK {
		t.Errorf("healthz during the outage: %d, want 200", got.StatusCode)
	}
	if !strings.Contains(env.logs.String(), `"status":503`) {
		t.Error("the outage's failures are not in the log")
	}

	proxy.Restore()
	// A pooled connection that the cut closed fails once before the pool drops it.
	var status int
	for range 6 {
		if status = c.get("/o/acme/tasks").StatusCode; status == http.StatusOK {
			break
		}
	}
	if status != http.StatusOK {
		t.Fatalf("tasks after the database is back: %d, want 200", status)
	}
	if got := probe.get("/readyz"); got.StatusCode != http.StatusOK {
		t.Errorf("readyz after the outage: %d, want 200", got.StatusCode)
	}
	var n int
	if err := env.staffConn().QueryRow(t.Context(), `SELECT count(*) FROM task
		WHERE title = 'Written in the outage'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d tasks from the outage (%v), want none", n, err)
	}
}

// TestThreadStreamAfterOutage loses the live streams' database listener (F5): open
// streams end, so that browsers reconnect; once the database is back, the listener is
// too, and a reconnected stream gets new messages live, with no restart.
func TestThreadStreamAfterOutage(t *testing.T) {
	env, proxy := newEnvBehindProxy(t)
	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Alice.ID, "Outage", 1)
	path := "/o/acme/threads/" + thread.String()
	alice, bob := env.signedIn("alice@acme.example"), env.signedIn("bob@acme.example")
	stream := openEvents(t, bob, path+"/events")

	proxy.Cut()
	stream.ended(t)
	proxy.Restore()

	// The browser retries; the stream opens once the listener is back.
	var again *eventStream
	for deadline := time.Now().Add(20 * time.Second); again == nil; {
		if resp := openStream(t, bob, path+"/events"); resp.StatusCode == http.StatusOK {
			_ = resp.Body.Close()
			again = openEvents(t, bob, path+"/events")
		} else if time.Now().After(deadline) {
			t.Fatalf("no stream 20 s after the database is back: %d", resp.StatusCode)
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	for tries := 0; ; tries++ {
		resp := alice.post(path+"/messages", url.Values{"body": {"Back again"}}, htmx...)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if tries == 5 {
			t.Fatalf("post after the outage: %d", resp.StatusCode)
		}
	}
	got := squash(parseHTML(t, again.next(t).data).Find(`[data-testid=message-body]`).Text())
	if got != "Back again" {
		t.Errorf("live after the outage: %q, want the new message", got)
	}
}
