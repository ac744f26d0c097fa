package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

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
