package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jusb/portal/db"
)

func TestSignIn(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	conn := env.staffConn()
	archived := []string{
		`INSERT INTO organization (name, slug) VALUES ('Old', 'old')`,
		`INSERT INTO app_user (org_id, email, name, password_hash, role)
		 SELECT id, 'gone@old.example', 'Gone', '` + mustHash(t, env) + `', 'client'
		 FROM organization WHERE slug = 'old'`,
		`UPDATE organization SET archived_at = now() WHERE slug = 'old'`,
	}
	for _, sql := range archived {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	deactivate(t, env, env.fix.Acme.ID, env.fix.Bob.ID)

	tests := []struct {
		name, email, password, next string
		wantStatus                  int
		wantLocation                string
	}{
		{"client lands in workspace", "alice@acme.example", testPassword, "", 303, "/o/acme"},
		{"staff with two-factor sign-in go on to the code", "admin@jusb.example",
			testPassword, "", 303, "/signin/two-factor"},
		{"address in capitals", "  ALICE@Acme.Example ", testPassword, "", 303, "/o/acme"},
		{"local next", "alice@acme.example", testPassword, "/o/acme/tasks", 303,
			"/o/acme/tasks"},
		{"foreign next ignored", "alice@acme.example", testPassword, "//evil.example/x", 303,
			"/o/acme"},
		{"wrong password", "alice@acme.example", "wrong password!", "", 401, ""},
		{"unknown address", "nobody@acme.example", testPassword, "", 401, ""},
		{"deactivated user", "bob@acme.example", testPassword, "", 401, ""},
		{"archived organization", "gone@old.example", testPassword, "", 401, ""},
		{"empty password", "alice@acme.example", "", "", 422, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := env.client()
			form := url.Values{"email": {tt.email}, "password": {tt.password}}
			if tt.next != "" {
				form.Set("next", tt.next)
			}
			resp := c.post("/signin", form)

			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus,
					resp.body)
			}
			if got := resp.Header.Get("Location"); got != tt.wantLocation {
				t.Errorf("Location = %q, want %q", got, tt.wantLocation)
			}
			signedIn := c.cookie(sessionCookieName) != ""
			if signedIn != (tt.wantStatus == 303) {
				t.Errorf("session cookie set = %v", signedIn)
			}
			if tt.wantStatus == 401 && !strings.Contains(resp.body, "is not right") {
				t.Errorf("body lacks the failure message: %s", resp.body)
			}
		})
	}
}

// TestSignInFailuresLookAlike checks that a wrong password and an unknown address get
// the same status, headers and page, so that nobody can probe for accounts (A3).
func TestSignInFailuresLookAlike(t *testing.T) {
	env := newTestEnv(t, Config{})

	answer := func(email string) (int, []string, string) {
		resp := env.client().signIn(email, "not the password")
		var keys []string
		for k := range resp.Header {
			if k != "Date" {
				keys = append(keys, k)
			}
		}
		return resp.StatusCode, sortStrings(keys), variablePart.ReplaceAllString(resp.body, "")
	}
	wrongStatus, wrongHeaders, wrongBody := answer("alice@acme.example")
	unknownStatus, unknownHeaders, unknownBody := answer("nobody@acme.example")

	if wrongStatus != unknownStatus {
		t.Errorf("status: wrong password %d, unknown address %d", wrongStatus, unknownStatus)
	}
	if diff := cmp.Diff(wrongHeaders, unknownHeaders); diff != "" {
		t.Errorf("header names differ (-wrong +unknown):\n%s", diff)
	}
	wrongBody = strings.ReplaceAll(wrongBody, "alice@acme.example", "EMAIL")
	unknownBody = strings.ReplaceAll(unknownBody, "nobody@acme.example", "EMAIL")
	if diff := cmp.Diff(wrongBody, unknownBody); diff != "" {
		t.Errorf("pages differ (-wrong +unknown):\n%s", diff)
	}
}

// variablePart matches what differs between any two responses: tokens and nonces.
var variablePart = regexp.MustCompile(`(nonce="|value="|X-CSRF-Token&#34;:&#34;)[^"&]*`)

func TestSessionLifecycle(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	c := env.client()

	// A token planted before sign-in (session fixation) must not survive it.
	u, _ := url.Parse(env.ts.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookieName, Value: "planted",
		Path: "/", Secure: true}})
	csrfBefore := c.csrfToken()

	resp := c.signIn("alice@acme.example", testPassword)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	token := c.cookie(sessionCookieName)
	if token == "" || token == "planted" {
		t.Fatalf("session token after sign-in = %q, want a new one", token)
	}
	if c.cookie(csrfCookieName) == csrfBefore {
		t.Error("CSRF token not renewed at sign-in")
	}
	checkSessionCookie(t, resp.Header.Values("Set-Cookie"))

	var rows int
	var stored string
	if err := env.staffConn().QueryRow(ctx, `SELECT count(*), min(token) FROM sessions`).
		Scan(&rows, &stored); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || stored == token {
		t.Errorf("sessions: %d rows, stored token equal to cookie: %v (want 1, hashed)", rows,
			stored == token)
	}
	if got := c.get("/o/acme"); got.StatusCode != http.StatusOK {
		t.Fatalf("dashboard while signed in: %d", got.StatusCode)
	}

	csrfSignedIn := c.cookie(csrfCookieName)
	out := c.post("/signout", nil)
	if out.StatusCode != http.StatusSeeOther || out.Header.Get("Location") != "/signin" {
		t.Fatalf("sign out: %d to %q", out.StatusCode, out.Header.Get("Location"))
	}
	if c.cookie(csrfCookieName) == csrfSignedIn {
		t.Error("CSRF token not renewed at sign-out")
	}
	err := env.staffConn().QueryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&rows)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("sessions after sign-out = %d, want 0", rows)
	}

	// Replaying the old cookie gets the sign-in page, not the workspace.
	replay := env.client()
	replay.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookieName, Value: token,
		Path: "/", Secure: true}})
	got := replay.get("/o/acme")
	if got.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(got.Header.Get("Location"), "/signin?next=") {
		t.Errorf("replayed cookie: %d to %q", got.StatusCode, got.Header.Get("Location"))
	}

	// The log holds neither the password nor the session token (L2).
	logs := env.logs.String()
	for _, secret := range []string{testPassword, token} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains a secret %q", secret)
		}
	}
}

// checkSessionCookie checks the attributes of the session cookie (S2).
func checkSessionCookie(t *testing.T, setCookies []string) {
	t.Helper()
	for _, sc := range setCookies {
		if !strings.HasPrefix(sc, sessionCookieName+"=") {
			continue
		}
		for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
			if !strings.Contains(sc, want) {
				t.Errorf("session cookie %q lacks %s", sc, want)
			}
		}
		if strings.Contains(strings.ToLower(sc), "domain=") {
			t.Errorf("session cookie %q has a Domain", sc)
		}
		return
	}
	t.Errorf("no session cookie among %q", setCookies)
}

func TestDeactivatedUserIsSignedOut(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.signedIn("bob@acme.example")
	if got := c.get("/o/acme"); got.StatusCode != http.StatusOK {
		t.Fatalf("before: %d", got.StatusCode)
	}

	deactivate(t, env, env.fix.Acme.ID, env.fix.Bob.ID)

	got := c.get("/o/acme")
	if got.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(got.Header.Get("Location"), "/signin") {
		t.Errorf("after deactivation: %d to %q, want the sign-in page", got.StatusCode,
			got.Header.Get("Location"))
	}
}

func TestExpiredSessionDuringHTMXRedirectsWholePage(t *testing.T) {
	env := newTestEnv(t, Config{})
	got := env.client().get("/o/acme", "HX-Request", "true")

	if got.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", got.StatusCode)
	}
	if loc := got.Header.Get("HX-Redirect"); !strings.HasPrefix(loc, "/signin") {
		t.Errorf("HX-Redirect = %q", loc)
	}
	if strings.Contains(got.body, "signin-form") {
		t.Error("a sign-in form was sent to be swapped into the page")
	}
}

func TestSignInRateLimit(t *testing.T) {
	t.Run("per e-mail address, even with the right password", func(t *testing.T) {
		env := newTestEnv(t, Config{SignInPerEmail: Rate{Count: 3, Window: 60e9}})
		for i := range 3 {
			if got := env.client().signIn("alice@acme.example", "wrong"); got.StatusCode != 401 {
				t.Fatalf("attempt %d: %d", i+1, got.StatusCode)
			}
		}
		got := env.client().signIn("ALICE@acme.example", testPassword)
		if got.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("4th attempt: %d, want 429", got.StatusCode)
		}
		if got.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		if other := env.client().signIn("bob@acme.example", testPassword); other.StatusCode != 303 {
			t.Errorf("another address: %d, want 303", other.StatusCode)
		}
	})

	t.Run("per client address, forwarded headers ignored", func(t *testing.T) {
		env := newTestEnv(t, Config{SignInPerIP: Rate{Count: 5, Window: 60e9}})
		for i := range 6 {
			c := env.client()
			form := url.Values{"email": {"nobody" + string(rune('a'+i)) + "@acme.example"},
				"password": {"x"}}
			got := c.post("/signin", form, "X-Forwarded-For", "203.0.113."+string(rune('1'+i)),
				"True-Client-IP", "198.51.100.7")
			want := http.StatusUnauthorized
			if i == 5 {
				want = http.StatusTooManyRequests
			}
			if got.StatusCode != want {
				t.Fatalf("attempt %d: %d, want %d", i+1, got.StatusCode, want)
			}
		}
	})
}

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/o/acme", "/o/acme"},
		{"/o/acme/tasks?status=open", "/o/acme/tasks?status=open"},
		{"", ""},
		{"//evil.example", ""},
		{"/\\evil.example", ""},
		{"https://evil.example", ""},
		{"evil.example", ""},
		{"/o/acme\r\nSet-Cookie: x", ""},
		{"/\x01javascript:alert(1)", ""},
	}
	for _, tt := range tests {
		if got := localPath(tt.in); got != tt.want {
			t.Errorf("localPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func deactivate(t *testing.T, env *testEnv, org db.OrgID, user [16]byte) {
	t.Helper()
	ctx := context.Background()
	err := env.store.Staff(ctx, func(q *db.Queries) error {
		return q.SetUserActive(ctx, db.SetUserActiveParams{OrgID: org, ID: user,
			IsActive: false})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustHash(t *testing.T, env *testEnv) string {
	t.Helper()
	h, err := env.srv.hasher.Hash(context.Background(), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestExpiredSessionsAreDeleted(t *testing.T) {
	env := newTestEnv(t, Config{})
	env.signedIn("alice@acme.example")
	conn := env.staffConn()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `INSERT INTO sessions (token, data, expiry)
		VALUES ('old', '\x00', now() - interval '1 hour')`); err != nil {
		t.Fatal(err)
	}

	n, err := env.store.DeleteExpiredSessions(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var left int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if n != 1 || left != 1 {
		t.Errorf("deleted %d, %d left; want 1 deleted and the live session kept", n, left)
	}
}
