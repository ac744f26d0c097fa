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

func init() {
	isolationFixtures = append(isolationFixtures, peopleFixture)
}

// peopleFixture names Acme's client and a pending invitation of Acme, for the access
// matrix and the isolation harness.
func peopleFixture(t testing.TB, env *testEnv) map[string]string {
	id := addInvitation(t, env, "fixture-"+uuid.NewString()[:8]+"@example.com", "client")
	return map[string]string{"userID": env.fix.Bob.ID.String(), "invitationID": id.String()}
}

// addInvitation creates a pending invitation to Acme from Alice behind the portal's
// back, with a token that nobody knows.
func addInvitation(t testing.TB, env *testEnv, email, role string) uuid.UUID {
	t.Helper()
	_, hash := newToken()
	var id uuid.UUID
	err := env.staffConn().QueryRow(context.Background(), `INSERT INTO invitation
		(org_id, email, role, token_hash, invited_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, now() + interval '7 days') RETURNING id`,
		env.fix.Acme.ID, email, role, hash, env.fix.Alice.ID).Scan(&id)
	if err != nil {
		t.Fatalf("add invitation: %v", err)
	}
	return id
}

// issueToken gives the pending invitation to email a new token and returns it, as the
// invitation e-mail's composer does.
func issueToken(t testing.TB, env *testEnv, email string) string {
	t.Helper()
	token, hash := newToken()
	tag, err := env.staffConn().Exec(context.Background(), `UPDATE invitation
		SET token_hash = $1 WHERE email = $2 AND accepted_at IS NULL AND revoked_at IS NULL`,
		hash, email)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("issue token for %s: %v (%d rows)", email, err, tag.RowsAffected())
	}
	return token
}

// queryInt runs a query that returns one number, as portal_staff.
func queryInt(t testing.TB, env *testEnv, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := env.staffConn().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
	return n
}

// activityCount counts an organization's activity entries with the action.
func activityCount(t testing.TB, env *testEnv, slug, action string) int {
	t.Helper()
	return queryInt(t, env, `SELECT count(*) FROM activity a JOIN organization o
		ON o.id = a.org_id WHERE o.slug = $1 AND a.action = $2`, slug, action)
}

// acceptForm is what the invited person types.
func acceptForm(token, name, pw string) url.Values {
	return url.Values{"token": {token}, "name": {name}, "password": {pw}}
}

const chosenPassword = "a long and quiet evening"

// TestInvitationAccepted follows an invitation from the form to the workspace: a
// client_admin invites, the invited person opens the link, chooses a name and a
// password, and lands in the workspace signed in with a fresh session. The link then
// works no more.
func TestInvitationAccepted(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	const email = "erin@acme.example"

	got := alice.post("/o/acme/people/invitations",
		url.Values{"email": {" Erin@Acme.example "}, "role": {"client_admin"}}, htmx...)
	if got.StatusCode != http.StatusOK || !strings.Contains(got.body, "Invitation sent to "+email) {
		t.Fatalf("invite: status %d, body %s", got.StatusCode, got.body)
	}
	doc := parseHTML(t, got.body)
	if n := doc.Find(`#invitations [data-testid=invitation-row][data-email="` + email +
		`"]`).Length(); n != 1 {
		t.Errorf("%d rows for the invitation in the list swapped in, want 1", n)
	}
	token := tokenFromMail(t, env, email)

	erin := env.client()
	erin.get("/signin") // a session cookie before the sign-in, which must not survive
	page := erin.get("/invitations/accept?token=" + url.QueryEscape(token))
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, email) {
		t.Fatalf("accept page: status %d, body %s", page.StatusCode, page.body)
	}
	before := erin.cookie(sessionCookieName)

	done := erin.post("/invitations/accept", acceptForm(token, "Erin Evans", chosenPassword))
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/o/acme" {
		t.Fatalf("accept: status %d, location %q, body %s", done.StatusCode,
			done.Header.Get("Location"), done.body)
	}
	if after := erin.cookie(sessionCookieName); after == "" || after == before {
		t.Error("the session token was not renewed at sign-in")
	}
	if home := erin.get("/o/acme"); home.StatusCode != http.StatusOK ||
		!strings.Contains(home.body, "Erin Evans") {
		t.Errorf("workspace: status %d", home.StatusCode)
	}
	if n := queryInt(t, env, `SELECT count(*) FROM app_user WHERE email = $1
		AND role = 'client_admin' AND org_id = $2`, email, env.fix.Acme.ID); n != 1 {
		t.Errorf("%d client_admins %s in Acme, want 1", n, email)
	}
	for _, action := range []string{"invitation.sent", "invitation.accepted",
		"user.signed_in"} {
		if n := activityCount(t, env, "acme", action); n < 1 {
			t.Errorf("no %s in Acme's activity log", action)
		}
	}
	fresh := env.client().signIn(email, chosenPassword)
	if fresh.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-in with the chosen password: status %d", fresh.StatusCode)
	}

	t.Run("the link works once", func(t *testing.T) {
		again := env.client()
		got := again.get("/invitations/accept?token=" + token)
		if got.StatusCode != http.StatusGone {
			t.Errorf("GET: status %d, want 410", got.StatusCode)
		}
		got = again.post("/invitations/accept", acceptForm(token, "Mallory", chosenPassword))
		if got.StatusCode != http.StatusGone {
			t.Errorf("POST: status %d, want 410", got.StatusCode)
		}
		if n := queryInt(t, env, `SELECT count(*) FROM app_user WHERE email = $1`, email); n != 1 {
			t.Errorf("%d users with the address", n)
		}
	})

	if strings.Contains(env.logs.String(), token) {
		t.Error("the token is in the log")
	}
}

// tokenFromMail waits for the next invitation mail to address, over SMTP, and returns
// the token of its link.
func tokenFromMail(t testing.TB, env *testEnv, address string) string {
	t.Helper()
	link := linkIn(t, env, env.mailbox.waitFor(t, address), "/invitations/accept?token=")
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// TestResendOverSMTP: a resent invitation arrives with a new link, and the link of
// the first mail stops working.
func TestResendOverSMTP(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	const email = "gus@acme.example"
	alice.post("/o/acme/people/invitations", url.Values{"email": {email},
		"role": {"client"}}, htmx...)
	first := tokenFromMail(t, env, email)
	if got := env.client().get("/invitations/accept?token=" + first); got.StatusCode != 200 {
		t.Fatalf("first link before the resend: status %d", got.StatusCode)
	}

	got := alice.post(invitationPath(t, env, email)+"/resend", nil, htmx...)
	if got.StatusCode != http.StatusOK {
		t.Fatalf("resend: status %d", got.StatusCode)
	}
	second := tokenFromMail(t, env, email)
	if second == first {
		t.Fatal("the resent mail has the same link")
	}
	if got := env.client().get("/invitations/accept?token=" + first); got.StatusCode !=
		http.StatusGone {
		t.Errorf("first link after the resend: status %d, want 410", got.StatusCode)
	}
	got = env.client().post("/invitations/accept", acceptForm(second, "Gus", chosenPassword))
	if got.StatusCode != http.StatusSeeOther {
		t.Errorf("second link: status %d, want 303", got.StatusCode)
	}
	if strings.Contains(env.logs.String(), first) || strings.Contains(env.logs.String(), second) {
		t.Error("a token is in the log")
	}
}

// TestInvitationLinksThatCannotBeUsed: an expired, revoked, used, resent (old link) or
// unknown link gets the same page and status, and creates nobody.
func TestInvitationLinksThatCannotBeUsed(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	unknown := env.client().get("/invitations/accept?token=no-such-token")
	if unknown.StatusCode != http.StatusGone {
		t.Fatalf("unknown token: status %d, want 410", unknown.StatusCode)
	}

	tests := []struct {
		name    string
		prepare func(t *testing.T, email string) string // returns the token to try
	}{
		{"expired", func(t *testing.T, email string) string {
			token := issueToken(t, env, email)
			env.exec(t, `UPDATE invitation SET expires_at = now() - interval '1 second'
				WHERE email = $1`, email)
			return token
		}},
		{"revoked", func(t *testing.T, email string) string {
			token := issueToken(t, env, email)
			got := alice.post(invitationPath(t, env, email)+"/revoke", nil, htmx...)
			if got.StatusCode != http.StatusOK || !strings.Contains(got.body, "Revoked") {
				t.Fatalf("revoke: status %d, body %s", got.StatusCode, got.body)
			}
			return token
		}},
		{"resent: the old link", func(t *testing.T, email string) string {
			token := issueToken(t, env, email)
			got := alice.post(invitationPath(t, env, email)+"/resend", nil, htmx...)
			if got.StatusCode != http.StatusOK || !strings.Contains(got.body, "Sent again") {
				t.Fatalf("resend: status %d, body %s", got.StatusCode, got.body)
			}
			return token
		}},
		{"used", func(t *testing.T, email string) string {
			token := issueToken(t, env, email)
			got := env.client().post("/invitations/accept",
				acceptForm(token, "First Person", chosenPassword))
			if got.StatusCode != http.StatusSeeOther {
				t.Fatalf("first use: status %d", got.StatusCode)
			}
			return token
		}},
		{"empty", func(t *testing.T, email string) string { return "" }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := fmt.Sprintf("link%d@example.com", i)
			addInvitation(t, env, email, "client")
			token := tt.prepare(t, email)
			users := queryInt(t, env, `SELECT count(*) FROM app_user`)

			c := env.client()
			page := c.get("/invitations/accept?token=" + url.QueryEscape(token))
			post := c.post("/invitations/accept", acceptForm(token, "Someone", chosenPassword))
			for _, got := range []response{page, post} {
				if got.StatusCode != http.StatusGone {
					t.Errorf("status %d, want 410", got.StatusCode)
				}
				if clean(got.body) != clean(unknown.body) {
					t.Error("the page differs from that of an unknown link")
				}
			}
			if n := queryInt(t, env, `SELECT count(*) FROM app_user`); n != users {
				t.Errorf("%d users, want %d", n, users)
			}
		})
	}
	for _, action := range []string{"invitation.revoked", "invitation.resent"} {
		if activityCount(t, env, "acme", action) != 1 {
			t.Errorf("no %s in Acme's activity log", action)
		}
	}
}

// invitationPath is the URL of Acme's pending invitation to email.
func invitationPath(t testing.TB, env *testEnv, email string) string {
	t.Helper()
	var id uuid.UUID
	err := env.staffConn().QueryRow(context.Background(), `SELECT id FROM invitation
		WHERE email = $1 AND accepted_at IS NULL AND revoked_at IS NULL`, email).Scan(&id)
	if err != nil {
		t.Fatalf("find invitation to %s: %v", email, err)
	}
	return "/o/acme/people/invitations/" + id.String()
}

// TestAcceptFormRefusals: a missing name or a short password re-renders the form with
// the error (422); nobody is created and the link still works.
func TestAcceptFormRefusals(t *testing.T) {
	env := newTestEnv(t, Config{})
	addInvitation(t, env, "fay@acme.example", "client")
	token := issueToken(t, env, "fay@acme.example")

	tests := []struct{ name, who, pw, want string }{
		{"no name", " ", chosenPassword, "Enter your name."},
		{"short password", "Fay", "short", "at least 8 characters"},
		{"password is the address", "Fay", "fay@acme.example", "not your e-mail address"},
		{"control character", "Fay\x07", chosenPassword, "cannot be shown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := env.client().post("/invitations/accept", acceptForm(token, tt.who, tt.pw))
			if got.StatusCode != http.StatusUnprocessableEntity ||
				!strings.Contains(got.body, tt.want) {
				t.Errorf("status %d, want 422 with %q; body %s", got.StatusCode, tt.want,
					got.body)
			}
		})
	}
	if n := queryInt(t, env,
		`SELECT count(*) FROM app_user WHERE email = 'fay@acme.example'`); n != 0 {
		t.Errorf("%d users created", n)
	}
	got := env.client().post("/invitations/accept", acceptForm(token, "Fay", chosenPassword))
	if got.StatusCode != http.StatusSeeOther {
		t.Errorf("after the refusals the link should still work: status %d", got.StatusCode)
	}
}

// TestInviteRefusals: an address that is not one, that has an account (here or in
// another organization) or a pending invitation, and a role not offered come back
// with the error (422); jusb_admin from a client_admin is refused (403) and logged.
// Nothing is written.
func TestInviteRefusals(t *testing.T) {
	env := newTestEnv(t, Config{})
	addInvitation(t, env, "pending@acme.example", "client")
	alice := env.signedIn("alice@acme.example")

	tests := []struct {
		name, email, role string
		status            int
		want              string
	}{
		{"empty address", "", "client", 422, "Enter the e-mail address"},
		{"not an address", "erin at acme", "client", 422, "such as name@example.com"},
		{"address with a name", "Erin <erin@acme.example>", "client", 422,
			"such as name@example.com"},
		{"account here", "bob@acme.example", "client", 422, "has an account already"},
		{"account elsewhere", "DAVE@globex.example", "client", 422,
			"has an account already"},
		{"pending invitation", "pending@acme.example", "client", 422,
			"waiting for an answer already"},
		{"unknown role", "erin@acme.example", "owner", 422, "Choose one of the roles"},
		{"jusb_admin", "erin@acme.example", "jusb_admin", 403, "Only JusB staff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tenantSnapshot(t, env, "acme")
			got := alice.post("/o/acme/people/invitations",
				url.Values{"email": {tt.email}, "role": {tt.role}}, htmx...)
			if got.StatusCode != tt.status || !strings.Contains(got.body, tt.want) {
				t.Errorf("status %d, want %d with %q; body %s", got.StatusCode, tt.status,
					tt.want, got.body)
			}
			if after := tenantSnapshot(t, env, "acme"); after != before {
				t.Error("Acme's data changed")
			}
		})
	}
	if !strings.Contains(env.logs.String(), `"msg":"role grant refused"`) {
		t.Error("the refused jusb_admin grant is not logged")
	}

	t.Run("full page without HTMX", func(t *testing.T) {
		got := alice.post("/o/acme/people/invitations",
			url.Values{"email": {"nope"}, "role": {"client"}})
		if got.StatusCode != 422 || !strings.Contains(got.body, `data-testid="people-table"`) {
			t.Errorf("status %d, want 422 with the whole page", got.StatusCode)
		}
	})
}

// TestPeoplePage: everyone sees the members with role, status and last sign-in; only
// client_admins and staff see the invitations and the actions.
func TestPeoplePage(t *testing.T) {
	env := newTestEnv(t, Config{})
	addInvitation(t, env, "pending@acme.example", "client")

	tests := []struct {
		email  string
		manage bool
	}{
		{"bob@acme.example", false},
		{"alice@acme.example", true},
		{"admin@jusb.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			got := env.signedIn(tt.email).get("/o/acme/people")
			if got.StatusCode != http.StatusOK {
				t.Fatalf("status %d", got.StatusCode)
			}
			doc := parseHTML(t, got.body)
			if n := doc.Find("[data-testid=person-row]").Length(); n != 2 {
				t.Errorf("%d members, want Alice and Bob", n)
			}
			if !strings.Contains(doc.Find(`[data-email="alice@acme.example"]`).Text(),
				"Client admin") {
				t.Error("Alice's role is not shown")
			}
			for _, sel := range []string{"[data-testid=invite-form]",
				"[data-testid=invitations]", "[data-testid=role-select]",
				"[data-testid=deactivate]"} {
				if got := doc.Find(sel).Length() > 0; got != tt.manage {
					t.Errorf("%s shown: %v, want %v", sel, got, tt.manage)
				}
			}
			if doc.Find(`nav a[href="/o/acme/people"]`).Length() != 1 {
				t.Error("no People link in the navigation")
			}
		})
	}
}

// TestPeopleQueryBudget: the people page and the staff's user list read in a fixed
// number of round trips, however many people there are.
func TestPeopleQueryBudget(t *testing.T) {
	env := newTestEnv(t, Config{})
	checkBudget(t, env, "alice@acme.example", "/o/acme/people", 2, addMembers)
	checkBudget(t, env, "admin@jusb.example", "/admin/users", 2, addMembers)
}

// addMembers adds n clients to Acme behind the portal's back.
func addMembers(t testing.TB, env *testEnv, n int) {
	t.Helper()
	env.exec(t, `INSERT INTO app_user (org_id, email, name, password_hash, role)
		SELECT $1, 'member-' || gen_random_uuid() || '@acme.example', 'Member', 'x', 'client'
		FROM generate_series(1, $2)`, env.fix.Acme.ID, n)
}

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
