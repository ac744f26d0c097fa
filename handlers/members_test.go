package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// memberState is a member's role and active flag, read behind the portal's back.
func memberState(t testing.TB, env *testEnv, id uuid.UUID) string {
	t.Helper()
	var role string
	var active bool
	err := env.staffConn().QueryRow(context.Background(),
		`SELECT role, is_active FROM app_user WHERE id = $1`, id).Scan(&role, &active)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s active=%v", role, active)
}

// TestMemberRules tries each rule of member management over HTTP, on the people page
// and on the staff's list: the answer, and the member's state afterwards.
func TestMemberRules(t *testing.T) {
	tests := []struct {
		name   string
		setup  string // SQL run first, as portal_staff
		as     string
		path   string // %s is the target's ID
		form   url.Values
		target string // alice, bob, carol, admin
		status int
		want   string // the target's state afterwards
	}{
		{name: "client cannot change a role", as: "bob@acme.example",
			path: "/o/acme/people/%s/role", form: url.Values{"role": {"client"}},
			target: "alice", status: 403, want: "client_admin active=true"},
		{name: "client cannot deactivate", as: "bob@acme.example",
			path: "/o/acme/people/%s/deactivate", target: "alice", status: 403,
			want: "client_admin active=true"},
		{name: "client cannot reach the staff's list", as: "bob@acme.example",
			path: "/admin/users/%s/deactivate", target: "alice", status: 404,
			want: "client_admin active=true"},
		{name: "client_admin promotes a client", as: "alice@acme.example",
			path: "/o/acme/people/%s/role", form: url.Values{"role": {"client_admin"}},
			target: "bob", status: 200, want: "client_admin active=true"},
		{name: "client_admin cannot grant jusb_admin", as: "alice@acme.example",
			path: "/o/acme/people/%s/role", form: url.Values{"role": {"jusb_admin"}},
			target: "bob", status: 403, want: "client active=true"},
		{name: "staff cannot grant jusb_admin in a client organization",
			as: "admin@jusb.example", path: "/admin/users/%s/role",
			form: url.Values{"role": {"jusb_admin"}}, target: "bob", status: 422,
			want: "client active=true"},
		{name: "an empty role is refused", as: "alice@acme.example",
			path: "/o/acme/people/%s/role", target: "bob", status: 422,
			want: "client active=true"},
		{name: "last admin cannot be demoted", as: "alice@acme.example",
			path: "/o/acme/people/%s/role", form: url.Values{"role": {"client"}},
			target: "alice", status: 422, want: "client_admin active=true"},
		{name: "last admin cannot be demoted by staff", as: "admin@jusb.example",
			path: "/admin/users/%s/role", form: url.Values{"role": {"client"}},
			target: "carol", status: 422, want: "client_admin active=true"},
		{name: "last admin cannot be deactivated by staff", as: "admin@jusb.example",
			path: "/o/acme/people/%s/deactivate", target: "alice", status: 422,
			want: "client_admin active=true"},
		{name: "a deactivated admin does not count", as: "admin@jusb.example",
			setup: `UPDATE app_user SET role = 'client_admin', is_active = false
				WHERE email = 'bob@acme.example'`,
			path: "/o/acme/people/%s/role", form: url.Values{"role": {"client"}},
			target: "alice", status: 422, want: "client_admin active=true"},
		{name: "an admin may step down when another is left", as: "alice@acme.example",
			setup: `UPDATE app_user SET role = 'client_admin' WHERE email = 'bob@acme.example'`,
			path:  "/o/acme/people/%s/role", form: url.Values{"role": {"client"}},
			target: "alice", status: 200, want: "client active=true"},
		{name: "nobody deactivates themselves", as: "alice@acme.example",
			setup: `UPDATE app_user SET role = 'client_admin' WHERE email = 'bob@acme.example'`,
			path:  "/o/acme/people/%s/deactivate", target: "alice", status: 422,
			want: "client_admin active=true"},
		{name: "client_admin deactivates a client", as: "alice@acme.example",
			path: "/o/acme/people/%s/deactivate", target: "bob", status: 200,
			want: "client active=false"},
		{name: "client_admin reactivates a client", as: "alice@acme.example",
			setup: `UPDATE app_user SET is_active = false WHERE email = 'bob@acme.example'`,
			path:  "/o/acme/people/%s/reactivate", target: "bob", status: 200,
			want: "client active=true"},
		{name: "staff deactivate in any organization", as: "admin@jusb.example",
			path: "/admin/users/%s/deactivate", target: "bob", status: 200,
			want: "client active=false"},
		{name: "the organization in a tampered form is ignored", as: "alice@acme.example",
			path:   "/o/acme/people/%s/role",
			form:   url.Values{"role": {"client_admin"}, "org_id": {"globex"}},
			target: "bob", status: 200, want: "client_admin active=true"},
		{name: "a client_admin cannot reach another organization's member",
			as: "alice@acme.example", path: "/o/acme/people/%s/deactivate",
			target: "dave", status: 404, want: "client active=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, Config{})
			ids := map[string]uuid.UUID{"alice": env.fix.Alice.ID, "bob": env.fix.Bob.ID,
				"carol": env.fix.Carol.ID, "dave": env.fix.Dave.ID, "admin": env.fix.Admin.ID}
			if tt.setup != "" {
				env.exec(t, tt.setup)
			}
			c := env.signedIn(tt.as)
			target := ids[tt.target]
			got := c.post(fmt.Sprintf(tt.path, target), tt.form, htmx...)
			if got.StatusCode != tt.status {
				t.Errorf("status %d, want %d; body %s", got.StatusCode, tt.status, got.body)
			}
			if state := memberState(t, env, target); state != tt.want {
				t.Errorf("afterwards %s, want %s", state, tt.want)
			}
			if tt.status == 200 && !strings.Contains(got.body, `id="person-`+target.String()) {
				t.Error("the answer is not the member's row")
			}
		})
	}
}

// TestMemberChangesRecorded: each change is in the organization's activity log and the
// structured log, and a plain form post goes back to the page.
func TestMemberChangesRecorded(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	bob := env.fix.Bob.ID.String()
	steps := []struct{ path, action string }{
		{"/o/acme/people/" + bob + "/role", "user.role_changed"},
		{"/o/acme/people/" + bob + "/deactivate", "user.deactivated"},
		{"/o/acme/people/" + bob + "/reactivate", "user.reactivated"},
	}
	for _, s := range steps {
		got := alice.post(s.path, url.Values{"role": {"client_admin"}})
		if got.StatusCode != http.StatusSeeOther ||
			got.Header.Get("Location") != "/o/acme/people" {
			t.Errorf("%s: status %d, location %q", s.path, got.StatusCode,
				got.Header.Get("Location"))
		}
		if n := activityCount(t, env, "acme", s.action); n != 1 {
			t.Errorf("%d %s entries in Acme's log, want 1", n, s.action)
		}
		if !strings.Contains(env.logs.String(), `"action":"`+s.action+`"`) {
			t.Errorf("%s is not in the structured log", s.action)
		}
	}
	got := alice.post("/o/acme/people/"+env.fix.Alice.ID.String()+"/deactivate", nil)
	if got.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(got.body, "cannot deactivate your own account") {
		t.Errorf("refused plain post: status %d, want 422 with the page", got.StatusCode)
	}
}

// TestDeactivatedMemberIsSignedOut: a member's session works until they are
// deactivated, and is refused at the very next request (S6).
func TestDeactivatedMemberIsSignedOut(t *testing.T) {
	env := newTestEnv(t, Config{})
	bob := env.signedIn("bob@acme.example")
	if got := bob.get("/o/acme"); got.StatusCode != http.StatusOK {
		t.Fatalf("before: status %d", got.StatusCode)
	}
	alice := env.signedIn("alice@acme.example")
	path := "/o/acme/people/" + env.fix.Bob.ID.String()
	if got := alice.post(path+"/deactivate", nil, htmx...); got.StatusCode != http.StatusOK {
		t.Fatalf("deactivate: status %d", got.StatusCode)
	}
	if got := bob.get("/o/acme"); got.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(got.Header.Get("Location"), "/signin") {
		t.Errorf("after: status %d, location %q; want the sign-in page", got.StatusCode,
			got.Header.Get("Location"))
	}
	if got := env.client().signIn("bob@acme.example", testPassword); got.StatusCode !=
		http.StatusUnauthorized {
		t.Errorf("sign-in while deactivated: status %d", got.StatusCode)
	}
	alice.post(path+"/reactivate", nil, htmx...)
	if got := env.client().signIn("bob@acme.example", testPassword); got.StatusCode !=
		http.StatusSeeOther {
		t.Errorf("sign-in after reactivation: status %d", got.StatusCode)
	}
}

// TestLastAdminUnderConcurrency: two administrators demote each other at the same
// moment, many times over; one of them always stays.
func TestLastAdminUnderConcurrency(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice, bob := env.signedIn("alice@acme.example"), env.signedIn("bob@acme.example")
	for round := range 10 {
		env.exec(t, `UPDATE app_user SET role = 'client_admin'
			WHERE org_id = $1 AND email IN ('alice@acme.example', 'bob@acme.example')`,
			env.fix.Acme.ID)
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, pair := range []struct {
			c      *testClient
			target uuid.UUID
		}{{alice, env.fix.Bob.ID}, {bob, env.fix.Alice.ID}} {
			wg.Go(func() {
				statuses[i] = pair.c.post("/o/acme/people/"+pair.target.String()+"/role",
					url.Values{"role": {"client"}}, htmx...).StatusCode
			})
		}
		wg.Wait()
		admins := queryInt(t, env, `SELECT count(*) FROM app_user WHERE org_id = $1
			AND role = 'client_admin' AND is_active`, env.fix.Acme.ID)
		if admins != 1 {
			t.Fatalf("round %d: %d active client_admins left (statuses %v)", round, admins,
				statuses)
		}
	}
}
