package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestEveryRouteDeclaresItsAccess walks the real router: a route registered anywhere
// but the route table, or declared without an access level, fails (T5).
func TestEveryRouteDeclaresItsAccess(t *testing.T) {
	env := newTestEnv(t, Config{})
	declared := map[string]Access{}
	for _, rt := range env.srv.Routes() {
		if rt.Access < Public || rt.Access > Staff {
			t.Errorf("%s %s: no access level", rt.Method, rt.Pattern)
		}
		declared[rt.Method+" "+rt.Pattern] = rt.Access
	}

	router, ok := env.srv.Handler().(chi.Routes)
	if !ok {
		t.Fatal("Handler is not a chi router")
	}
	walked := 0
	err := chi.Walk(router, func(method, route string, _ http.Handler,
		_ ...func(http.Handler) http.Handler) error {
		walked++
		if _, ok := declared[method+" "+route]; !ok {
			t.Errorf("%s %s is served but not declared in the route table", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if walked != len(declared) {
		t.Errorf("router serves %d routes, the table declares %d", walked, len(declared))
	}
}

// actor is someone who tries a route.
type actor struct {
	name  string
	email string // "" for a visitor who is not signed in
}

var (
	anonymous   = actor{"anonymous", ""}
	acmeClient  = actor{"acme client", "bob@acme.example"}
	acmeAdmin   = actor{"acme client_admin", "alice@acme.example"}
	globexAdmin = actor{"globex client_admin", "carol@globex.example"}
	staffActor  = actor{"staff", "admin@jusb.example"}
)

// TestAccessMatrix tries every non-public route as each kind of user, in Acme's
// workspace, and checks the answer its access level promises (T3).
func TestAccessMatrix(t *testing.T) {
	env := newTestEnv(t, Config{})
	clients := map[actor]*testClient{anonymous: env.client()}
	for _, a := range []actor{acmeClient, acmeAdmin, globexAdmin, staffActor} {
		clients[a] = env.signedIn(a.email)
	}
	ids := fixtureIDs(t, env)
	want := map[Access]map[actor]int{
		Account: {anonymous: 303, acmeClient: 200, acmeAdmin: 200, globexAdmin: 200,
			staffActor: 200},
		Member: {anonymous: 303, acmeClient: 200, acmeAdmin: 200, globexAdmin: 404,
			staffActor: 200},
		ClientAdmin: {anonymous: 303, acmeClient: 403, acmeAdmin: 200, globexAdmin: 404,
			staffActor: 200},
		Staff: {anonymous: 303, acmeClient: 404, acmeAdmin: 404, globexAdmin: 404,
			staffActor: 200},
	}

	for _, rt := range env.srv.Routes() {
		if rt.Access == Public || rt.Method != http.MethodGet {
			continue
		}
		path := fillRoute(t, rt.Pattern, ids)
		for a, status := range want[rt.Access] {
			t.Run(fmt.Sprintf("%s %s as %s", rt.Method, rt.Pattern, a.name), func(t *testing.T) {
				got := clients[a].get(path)
				if got.StatusCode != status {
					t.Errorf("status = %d, want %d", got.StatusCode, status)
				}
				// Pages carry the banner; a download (not HTML) cannot.
				isPage := strings.HasPrefix(got.Header.Get("Content-Type"), "text/html")
				inWorkspace := rt.Access != Staff && rt.Access != Account
				if a == staffActor && inWorkspace && isPage &&
					!strings.Contains(got.body, `data-testid="staff-banner"`) {
					t.Error("no staff banner in a client's workspace")
				}
			})
		}
	}
}

// TestAccessMatrixRefusesChanges sends every non-public POST as each kind of user its
// access level refuses, and checks the refusal and that no organization's data changed
// (T3). The ones allowed are each area's own tests.
func TestAccessMatrixRefusesChanges(t *testing.T) {
	env := newTestEnv(t, Config{})
	clients := map[actor]*testClient{anonymous: env.client()}
	for _, a := range []actor{acmeClient, acmeAdmin, globexAdmin} {
		clients[a] = env.signedIn(a.email)
	}
	ids := fixtureIDs(t, env)
	refused := map[Access]map[actor]int{
		Member:      {anonymous: 303, globexAdmin: 404},
		ClientAdmin: {anonymous: 303, acmeClient: 403, globexAdmin: 404},
		Staff:       {anonymous: 303, acmeClient: 404, acmeAdmin: 404, globexAdmin: 404},
	}
	before := map[string]string{}
	for _, slug := range []string{"acme", "globex", "jusb"} {
		before[slug] = tenantSnapshot(t, env, slug)
	}

	for _, rt := range env.srv.Routes() {
		if rt.Access == Public || rt.Method == http.MethodGet {
			continue
		}
		path := fillRoute(t, rt.Pattern, ids)
		for a, status := range refused[rt.Access] {
			t.Run(fmt.Sprintf("%s %s as %s", rt.Method, rt.Pattern, a.name), func(t *testing.T) {
				if got := clients[a].post(path, nil); got.StatusCode != status {
					t.Errorf("status = %d, want %d", got.StatusCode, status)
				}
			})
		}
	}

	for slug, b := range before {
		if after := tenantSnapshot(t, env, slug); after != b {
			t.Errorf("%s's data changed:\nbefore %s\nafter  %s", slug, b, after)
		}
	}
}

// TestTenantIsolation is the harness every workspace route joins: a member of Globex
// tries each Member and ClientAdmin route with Acme's slug and Acme's IDs, and gets the
// same 404 as for a slug that does not exist, while Acme's data stays as it was (T1).
func TestTenantIsolation(t *testing.T) {
	env := newTestEnv(t, Config{})
	acmeIDs := fixtureIDs(t, env)
	intruder := env.signedIn("carol@globex.example")
	before := tenantSnapshot(t, env, "acme")
	notFound := intruder.get("/o/no-such-org")

	for _, rt := range env.srv.Routes() {
		if rt.Access != Member && rt.Access != ClientAdmin {
			continue
		}
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			path := fillRoute(t, rt.Pattern, acmeIDs)
			var got response
			if rt.Method == http.MethodGet {
				got = intruder.get(path)
			} else {
				got = intruder.post(path, nil)
			}
			if got.StatusCode != http.StatusNotFound {
				t.Errorf("status = %d, want 404", got.StatusCode)
			}
			if clean(got.body) != clean(notFound.body) {
				t.Error("the answer differs from that for a slug that does not exist")
			}
		})
	}

	// Account routes name no organization and no ID: whatever a member of Globex sends
	// them acts on their own account only.
	for _, rt := range env.srv.Routes() {
		if rt.Access != Account {
			continue
		}
		if rt.Method == http.MethodGet {
			intruder.get(rt.Pattern)
		} else {
			intruder.post(rt.Pattern, url.Values{"org_id": {env.fix.Acme.ID.String()},
				"code": {"000000"}, "password": {testPassword}})
		}
	}

	if after := tenantSnapshot(t, env, "acme"); after != before {
		t.Errorf("Acme's data changed:\nbefore %s\nafter  %s", before, after)
	}
}

// isolationFixtures create in Acme one of each thing that a route names by ID, and
// return the route parameters naming them. Each area's test file appends its own in an
// init function, so its routes can join the access matrix and the isolation harness.
var isolationFixtures []func(t testing.TB, env *testEnv) map[string]string

// fixtureIDs returns the route parameters of Acme's fixtures, starting with its slug.
func fixtureIDs(t testing.TB, env *testEnv) map[string]string {
	ids := map[string]string{"slug": "acme"}
	for _, create := range isolationFixtures {
		for k, v := range create(t, env) {
			ids[k] = v
		}
	}
	return ids
}

var routeParam = regexp.MustCompile(`\{(\w+)\}`)

// fillRoute puts values into a route pattern; a parameter without a value fails the
// test, so that a new route with IDs cannot join the harnesses without fixtures.
func fillRoute(t testing.TB, pattern string, values map[string]string) string {
	t.Helper()
	return routeParam.ReplaceAllStringFunc(pattern, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := values[name]
		if !ok {
			t.Fatalf("route %s: no fixture value for {%s}", pattern, name)
		}
		return v
	})
}

// tenantSnapshot digests one organization's row and its rows in every tenant table.
func tenantSnapshot(t *testing.T, env *testEnv, slug string) string {
	t.Helper()
	var out []string
	conn := env.staffConn()
	for _, table := range []string{"app_user", "thread", "message", "file",
		"message_attachment", "task", "task_note", "activity", "thread_read", "invitation",
		"password_reset", "outbox", "user_totp", "recovery_code"} {
		var digest string
		err := conn.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*) || ':' ||
			coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '')
			FROM %s t JOIN organization o ON o.id = t.org_id WHERE o.slug = $1`, table),
			slug).Scan(&digest)
		if err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		out = append(out, table+"="+digest)
	}
	var org string
	err := conn.QueryRow(context.Background(),
		"SELECT md5(o::text) FROM organization o WHERE o.slug = $1", slug).Scan(&org)
	if err != nil {
		t.Fatalf("snapshot organization: %v", err)
	}
	return strings.Join(append(out, "organization="+org), " ")
}

// clean removes what differs between any two responses: tokens and nonces.
func clean(body string) string { return variablePart.ReplaceAllString(body, "") }

// TestQueryBudget counts the database round trips of each page, the session's
// included, and checks that they do not grow with the amount of data (no N+1). Each
// area checks its own pages with checkBudget.
func TestQueryBudget(t *testing.T) {
	env := newTestEnv(t, Config{})
	checkBudget(t, env, "alice@acme.example", "/o/acme", 2, addActivity)
}

// checkBudget signs in as email and fetches path twice, after grow has added 1 and
// then 50 children to what the page lists: the page must stay within budget round
// trips and cost the same both times.
func checkBudget(t *testing.T, env *testEnv, email, path string, budget int64,
	grow func(t testing.TB, env *testEnv, n int)) {
	t.Helper()
	c := env.signedIn(email)
	count := func(n int) int64 {
		grow(t, env, n)
		c.get(path) // warm the statement cache, as a running server has it
		env.counter.Reset()
		if got := c.get(path); got.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, got.StatusCode)
		}
		return env.counter.Count()
	}

	one, fifty := count(1), count(50)
	t.Logf("%s: %d round trips", path, one)
	if one > budget {
		t.Errorf("GET %s: %d round trips, budget %d", path, one, budget)
	}
	if fifty != one {
		t.Errorf("GET %s: %d round trips with 1 child, %d with 50: a query per row", path,
			one, fifty)
	}
}

func addActivity(t testing.TB, env *testEnv, n int) {
	t.Helper()
	_, err := env.staffConn().Exec(context.Background(), `INSERT INTO activity
		(org_id, actor_id, action, target_type, target_id, summary)
		SELECT $1, $2, 'user.signed_in', 'user', $2, 'x' FROM generate_series(1, $3)`,
		env.fix.Acme.ID, env.fix.Bob.ID, n)
	if err != nil {
		t.Fatal(err)
	}
}
