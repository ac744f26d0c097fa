package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestChangePassword needs the current password and a new one the rules accept; it
// ends the user's other sessions and keeps this one (A6).
func TestChangePassword(t *testing.T) {
	env := newTestEnv(t, Config{})
	c, other := env.signedIn("alice@acme.example"), env.signedIn("alice@acme.example")
	if got := c.get("/o/acme"); !strings.Contains(got.body, `href="/account"`) {
		t.Error("the workspace header has no link to the account")
	}

	tests := []struct {
		name                   string
		current, next, confirm string
		want                   string
	}{
		{"no current password", "", newPassword, newPassword, "current password is not right"},
		{"wrong current password", "wrong password!", newPassword, newPassword,
			"current password is not right"},
		{"common new password", testPassword, "iloveyou", "iloveyou", "too easy to guess"},
		{"the address as password", testPassword, "alice@acme.example",
			"alice@acme.example", "not your e-mail address"},
		{"not confirmed", testPassword, newPassword, "typo", "not the same"},
	}
	for _, tt := range tests {
		got := c.post("/account/password", url.Values{"current_password": {tt.current},
			"new_password": {tt.next}, "confirm_password": {tt.confirm}})
		if got.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(got.body, tt.want) {
			t.Errorf("%s: %d, want 422 saying %q", tt.name, got.StatusCode, tt.want)
		}
	}
	if got := other.get("/o/acme"); got.StatusCode != http.StatusOK {
		t.Fatalf("refused changes ended a session: %d", got.StatusCode)
	}

	got := c.post("/account/password", url.Values{"current_password": {testPassword},
		"new_password": {newPassword}, "confirm_password": {newPassword}})
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/account" {
		t.Fatalf("change: %d %s", got.StatusCode, got.body)
	}
	if got := c.get("/account"); got.StatusCode != http.StatusOK ||
		!strings.Contains(got.body, "password was changed") {
		t.Errorf("this session after the change: %d", got.StatusCode)
	}
	if got := other.get("/o/acme"); got.StatusCode != http.StatusSeeOther {
		t.Errorf("the other session after the change: %d, want 303", got.StatusCode)
	}
	if got := env.client().signIn("alice@acme.example", testPassword); got.StatusCode !=
		http.StatusUnauthorized {
		t.Errorf("old password: %d", got.StatusCode)
	}
	if got := env.client().signIn("alice@acme.example", newPassword); got.StatusCode !=
		http.StatusSeeOther {
		t.Errorf("new password: %d", got.StatusCode)
	}
	checkActivity(t, env, "alice@acme.example", "user.password_changed")
	checkNoSecretsLogged(t, env, newPassword, testPassword)
}

// TestSecurityEventsInActivityLog checks that sign-in failures of a known address are
// in its organization's log without an actor, failures of unknown addresses only in
// the structured log, and sign-out in the log too.
func TestSecurityEventsInActivityLog(t *testing.T) {
	env := newTestEnv(t, Config{})
	env.client().signIn("bob@acme.example", "wrong password!")
	env.client().signIn("nobody@acme.example", "wrong password!")
	c := env.signedIn("bob@acme.example")
	c.post("/signout", nil)

	var failures, withActor, unknown int
	err := env.staffConn().QueryRow(context.Background(), `SELECT
		count(*) FILTER (WHERE action = 'user.sign_in_failed' AND target_id = $1),
		count(*) FILTER (WHERE action = 'user.sign_in_failed' AND actor_id IS NOT NULL),
		count(*) FILTER (WHERE action = 'user.sign_in_failed' AND target_id IS NULL)
		FROM activity`, env.fix.Bob.ID).Scan(&failures, &withActor, &unknown)
	if err != nil || failures != 1 || withActor != 0 || unknown != 0 {
		t.Errorf("failures about Bob %d, with an actor %d, without a user %d (%v); "+
			"want 1, 0, 0", failures, withActor, unknown, err)
	}
	checkActivity(t, env, "bob@acme.example", "user.signed_in", "user.signed_out")
	if !strings.Contains(env.logs.String(), `"reason":"unknown_email"`) {
		t.Error("the unknown address's failure is not in the structured log")
	}
	if got := c.get("/o/acme/activity"); got.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed out: %d", got.StatusCode)
	}
	a := env.signedIn("alice@acme.example")
	if got := a.get("/o/acme/activity"); !strings.Contains(got.body, "failed to sign in as") {
		t.Error("the activity page does not word the failed sign-in")
	}
	checkNoSecretsLogged(t, env, "wrong password!", testPassword)
}
