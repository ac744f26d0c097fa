package handlers

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// newPassword is what the reset and change tests choose.
const newPassword = "tortoise lantern harbor"

// resetPath is the path and query of the reset link in the next mail to addr.
func resetPath(t *testing.T, env *testEnv, addr string) (path, token string) {
	t.Helper()
	mail := env.mailbox.waitFor(t, addr)
	if mail.Subject != "Set a new password for JusB Portal" {
		t.Errorf("subject %q", mail.Subject)
	}
	link := linkIn(t, env, mail, "/password/reset?token=")
	u := mustURL(link)
	return u.RequestURI(), u.Query().Get("token")
}

// TestPasswordResetOverSMTP follows a reset from the form through the e-mail to the
// new password: the link works once, the old password stops working, every session of
// the user ends, and only the token's hash is stored (A4, A9, L2).
func TestPasswordResetOverSMTP(t *testing.T) {
	env := newTestEnv(t, Config{})
	other := env.signedIn("alice@acme.example")
	visitor := env.client()

	got := visitor.post("/password/forgot", url.Values{"email": {" Alice@Acme.example "}})
	if got.StatusCode != http.StatusOK || !strings.Contains(got.body, "If an account exists") {
		t.Fatalf("forgot: %d %s", got.StatusCode, got.body)
	}
	path, token := resetPath(t, env, "alice@acme.example")

	var stored []byte
	err := env.staffConn().QueryRow(context.Background(), `SELECT token_hash
		FROM password_reset WHERE user_id = $1 AND used_at IS NULL
		AND expires_at BETWEEN now() + interval '59 minutes' AND now() + interval '1 hour'`,
		env.fix.Alice.ID).Scan(&stored)
	if err != nil {
		t.Fatalf("the pending reset: %v", err)
	}
	if sum := sha256.Sum256([]byte(token)); string(stored) != string(sum[:]) {
		t.Error("the stored hash is not the SHA-256 of the mailed token")
	}

	if got := visitor.get(path); got.StatusCode != http.StatusOK ||
		parseHTML(t, got.body).Find("[data-testid=reset-form]").Length() != 1 {
		t.Fatalf("following the link: %d %s", got.StatusCode, got.body)
	}
	form := url.Values{"token": {token}, "new_password": {newPassword},
		"confirm_password": {newPassword}}
	got = visitor.post("/password/reset", form)
	if got.StatusCode != http.StatusOK || !strings.Contains(got.body, "new password is set") {
		t.Fatalf("setting the password: %d %s", got.StatusCode, got.body)
	}

	if got := visitor.get(path); got.StatusCode != http.StatusGone {
		t.Errorf("the link followed again: %d, want 410", got.StatusCode)
	}
	form.Set("new_password", "another fine password")
	form.Set("confirm_password", "another fine password")
	if got := visitor.post("/password/reset", form); got.StatusCode != http.StatusGone {
		t.Errorf("the link used again: %d, want 410", got.StatusCode)
	}
	if got := env.client().signIn("alice@acme.example", testPassword); got.StatusCode !=
		http.StatusUnauthorized {
		t.Errorf("old password: %d, want 401", got.StatusCode)
	}
	if got := env.client().signIn("alice@acme.example", newPassword); got.StatusCode !=
		http.StatusSeeOther {
		t.Errorf("new password: %d, want 303", got.StatusCode)
	}
	if got := other.get("/o/acme"); got.StatusCode != http.StatusSeeOther {
		t.Errorf("another session of the user after the reset: %d, want 303 to sign in",
			got.StatusCode)
	}

	checkActivity(t, env, "alice@acme.example", "user.password_reset_requested",
		"user.password_reset")
	checkNoSecretsLogged(t, env, token, newPassword, testPassword)
}

// TestForgotPasswordSameAnswer checks that the form answers alike for an account, an
// unknown address and a deactivated account, and mails only the real, active owner.
func TestForgotPasswordSameAnswer(t *testing.T) {
	env := newTestEnv(t, Config{})
	deactivate(t, env, env.fix.Acme.ID, env.fix.Bob.ID)
	answer := func(addr string) response {
		got := env.client().post("/password/forgot", url.Values{"email": {addr}})
		got.body = strings.ReplaceAll(got.body, addr, "ADDRESS")
		return got
	}
	unknown, deactivated := answer("nobody@acme.example"), answer("bob@acme.example")
	known := answer("alice@acme.example")
	for name, got := range map[string]response{"unknown": unknown,
		"deactivated": deactivated} {
		if got.StatusCode != known.StatusCode || clean(got.body) != clean(known.body) {
			t.Errorf("%s address: %d, differs from a known one (%d)", name, got.StatusCode,
				known.StatusCode)
		}
	}
	env.mailbox.waitFor(t, "alice@acme.example")
	var queued int
	err := env.staffConn().QueryRow(context.Background(),
		`SELECT count(*) FROM outbox WHERE kind = 'password_reset'`).Scan(&queued)
	if err != nil || queued != 1 || env.mailbox.count() != 0 {
		t.Errorf("queued %d reset mails (err %v), %d more arrived; want only Alice's", queued,
			err, env.mailbox.count())
	}
	if strings.Contains(env.logs.String(), "nobody@acme.example") {
		t.Error("the unknown address was logged")
	}
}

// TestPasswordResetRefusals covers a link that expired, a newer link replacing an older
// one, and a new password the rules refuse, which leaves the link usable.
func TestPasswordResetRefusals(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.client()
	c.post("/password/forgot", url.Values{"email": {"alice@acme.example"}})
	first, firstToken := resetPath(t, env, "alice@acme.example")
	c.post("/password/forgot", url.Values{"email": {"alice@acme.example"}})
	second, token := resetPath(t, env, "alice@acme.example")
	if got := c.get(first); got.StatusCode != http.StatusGone {
		t.Errorf("the older link after a newer was sent: %d, want 410", got.StatusCode)
	}
	_ = firstToken

	for _, tt := range []struct{ name, pw, confirm, want string }{
		{"common", "password1", "password1", "too easy to guess"},
		{"the user's name", "Alice Anders", "Alice Anders", "not your e-mail address"},
		{"short", "kiwi", "kiwi", "at least 8 characters"},
		{"not confirmed", newPassword, "something else", "not the same"},
	} {
		got := c.post("/password/reset", url.Values{"token": {token},
			"new_password": {tt.pw}, "confirm_password": {tt.confirm}})
		if got.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(got.body, tt.want) {
			t.Errorf("%s: %d, want 422 saying %q", tt.name, got.StatusCode, tt.want)
		}
	}
	if got := c.get(second); got.StatusCode != http.StatusOK {
		t.Errorf("the link after refused passwords: %d, want 200", got.StatusCode)
	}

	env.exec(t, `UPDATE password_reset SET expires_at = now() - interval '1 second'`)
	if got := c.get(second); got.StatusCode != http.StatusGone {
		t.Errorf("an expired link: %d, want 410", got.StatusCode)
	}
	got := c.post("/password/reset", url.Values{"token": {token},
		"new_password": {newPassword}, "confirm_password": {newPassword}})
	if got.StatusCode != http.StatusGone {
		t.Errorf("an expired link used: %d, want 410", got.StatusCode)
	}
	for _, bad := range []string{"", "not-a-token", strings.Repeat("x", 500)} {
		if got := c.get("/password/reset?token=" + url.QueryEscape(bad)); got.StatusCode !=
			http.StatusGone {
			t.Errorf("token %q: %d, want 410", bad, got.StatusCode)
		}
	}
}

// TestPasswordResetRateLimit limits reset requests per address and per client address.
func TestPasswordResetRateLimit(t *testing.T) {
	env := newTestEnv(t, Config{Accounts: AccountsConfig{
		ResetPerEmail: Rate{Count: 2, Window: time.Hour},
		ResetPerIP:    Rate{Count: 4, Window: time.Hour}}})
	c := env.client()
	ask := func(addr string) int {
		return c.post("/password/forgot", url.Values{"email": {addr}}).StatusCode
	}
	got := []int{ask("alice@acme.example"), ask("ALICE@acme.example"),
		ask("alice@acme.example"), ask("nobody@acme.example"), ask("dave@globex.example")}
	want := []int{200, 200, 429, 200, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d: %d, want %d (all: %v)", i+1, got[i], want[i], got)
		}
	}
}
