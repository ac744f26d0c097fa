package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// enrol sets up two-factor sign-in for c's user and returns the key and the recovery
// codes shown.
func enrol(t *testing.T, c *testClient) (secret string, codes []string) {
	t.Helper()
	got := c.get("/account/two-factor")
	if got.StatusCode != http.StatusOK {
		t.Fatalf("enrolment page: %d %s", got.StatusCode, got.body)
	}
	doc := parseHTML(t, got.body)
	secret = strings.ReplaceAll(doc.Find("[data-testid=two-factor-secret]").Text(), " ", "")
	if len(secret) != 32 {
		t.Fatalf("no key on the page: %q", secret)
	}
	qr, _ := doc.Find("[data-testid=two-factor-qr]").Attr("src")
	if !strings.HasPrefix(qr, "data:image/png;base64,") {
		t.Errorf("QR code src = %.40q, want a PNG data: URL", qr)
	}

	if got := c.post("/account/two-factor", url.Values{"code": {"000000"}}); got.StatusCode !=
		http.StatusUnprocessableEntity {
		t.Errorf("enrolling with a wrong code: %d, want 422", got.StatusCode)
	}
	got = c.post("/account/two-factor",
		url.Values{"code": {totpCode(t, secret, time.Now())}})
	if got.StatusCode != http.StatusOK {
		t.Fatalf("enrolling: %d %s", got.StatusCode, got.body)
	}
	parseHTML(t, got.body).Find("[data-testid=recovery-codes] li").Each(
		func(_ int, s *goquery.Selection) { codes = append(codes, s.Text()) })
	if len(codes) != recoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", len(codes), recoveryCodeCount)
	}
	return secret, codes
}

// TestTwoFactorEnrolAndSignIn enrols Alice, then signs in with the password and a
// code: the half-signed-in state grants nothing, a wrong or reused code is refused,
// and a recovery code works once. Only hashes of the recovery codes are stored.
func TestTwoFactorEnrolAndSignIn(t *testing.T) {
	// More codes are tried here than the default limit allows (TestTwoFactorRateLimit).
	env := newTestEnv(t, Config{Accounts: AccountsConfig{
		TwoFactorPerUser: Rate{Count: 20, Window: time.Minute}}})
	secret, codes := enrol(t, env.signedIn("alice@acme.example"))

	var storedSecret string
	var hashes []string
	conn := env.staffConn()
	ctx := context.Background()
	if err := conn.QueryRow(ctx, `SELECT secret FROM user_totp WHERE user_id = $1`,
		env.fix.Alice.ID).Scan(&storedSecret); err != nil {
		t.Fatal(err)
	}
	// The key is stored sealed, and opens to the one shown, for Alice's row only.
	if opened, err := env.srv.totp.open(env.fix.Alice.ID, storedSecret); err != nil ||
		opened != secret || strings.Contains(storedSecret, secret) {
		t.Errorf("stored key %q opens to %q (%v), want it sealed and opening to the one "+
			"shown", storedSecret, opened, err)
	}
	rows, _ := conn.Query(ctx, `SELECT encode(code_hash, 'escape') FROM recovery_code
		WHERE user_id = $1`, env.fix.Alice.ID)
	for rows.Next() {
		var h string
		_ = rows.Scan(&h)
		hashes = append(hashes, h)
	}
	for _, code := range codes {
		for _, h := range hashes {
			if strings.Contains(h, strings.ReplaceAll(code, "-", "")) {
				t.Fatalf("recovery code %s stored as it is", code)
			}
		}
	}

	c := env.client()
	got := c.signIn("alice@acme.example", testPassword)
	if got.Header.Get("Location") != "/signin/two-factor" {
		t.Fatalf("password step: %d %s", got.StatusCode, got.Header.Get("Location"))
	}
	if got := c.get("/o/acme"); got.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(got.Header.Get("Location"), "/signin") {
		t.Errorf("workspace between the steps: %d %s, want sent to sign in",
			got.StatusCode, got.Header.Get("Location"))
	}
	// The enrolment used the current step's code.
	now := totpCode(t, secret, time.Now())
	next := totpCode(t, secret, time.Now().Add(totpPeriod*time.Second))
	for _, bad := range []string{"000000", "12345", "not a code", now} {
		if bad == next {
			continue
		}
		got := c.post("/signin/two-factor", url.Values{"code": {bad}})
		if got.StatusCode != http.StatusUnauthorized {
			t.Errorf("code %q: %d, want 401", bad, got.StatusCode)
		}
	}
	got = c.post("/signin/two-factor", url.Values{"code": {next}})
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/o/acme" {
		t.Fatalf("right code: %d %s", got.StatusCode, got.Header.Get("Location"))
	}
	if got := c.get("/o/acme"); got.StatusCode != http.StatusOK {
		t.Errorf("workspace after the second step: %d", got.StatusCode)
	}

	again := env.client()
	again.signIn("alice@acme.example", testPassword)
	if got := again.post("/signin/two-factor", url.Values{"code": {next}}); got.StatusCode !=
		http.StatusUnauthorized {
		t.Errorf("the same code in another sign-in: %d, want 401", got.StatusCode)
	}
	recovery := strings.ToUpper(codes[3])
	if got := again.post("/signin/two-factor", url.Values{"code": {recovery}}); got.
		StatusCode != http.StatusSeeOther {
		t.Errorf("recovery code: %d, want 303", got.StatusCode)
	}
	third := env.client()
	third.signIn("alice@acme.example", testPassword)
	if got := third.post("/signin/two-factor", url.Values{"code": {codes[3]}}); got.
		StatusCode != http.StatusUnauthorized {
		t.Errorf("recovery code used again: %d, want 401", got.StatusCode)
	}

	checkActivity(t, env, "alice@acme.example", "user.two_factor_enabled",
		"user.sign_in_failed", "user.signed_in")
	checkNoSecretsLogged(t, env, secret, next, codes[3], testPassword)
}

// TestTwoFactorStepNeedsPassword checks that the code form is open only to a browser
// whose password was right.
func TestTwoFactorStepNeedsPassword(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.client()
	c.signIn("admin@jusb.example", testPassword)
	if got := c.get("/signin/two-factor"); got.StatusCode != http.StatusOK {
		t.Fatalf("second step: %d", got.StatusCode)
	}
	stranger := env.client()
	if got := stranger.get("/signin/two-factor"); got.StatusCode != http.StatusSeeOther {
		t.Errorf("second step without a password first: %d, want 303", got.StatusCode)
	}
	code := totpCode(t, testTOTPSecret, time.Now())
	if got := stranger.post("/signin/two-factor", url.Values{"code": {code}}); got.
		Header.Get("Location") != "/signin" || stranger.cookie(sessionCookieName) != "" &&
		stranger.get("/admin").StatusCode == http.StatusOK {
		t.Errorf("a code without a password signed someone in")
	}
}

// TestStaffMustEnrol signs in a staff member without two-factor sign-in: every page
// but the enrolment sends them there, until they enrol.
func TestStaffMustEnrol(t *testing.T) {
	env := newTestEnv(t, Config{})
	env.exec(t, `INSERT INTO app_user (org_id, email, name, password_hash, role)
		VALUES ($1, 'new.staff@jusb.example', 'New Staff', $2, 'jusb_admin')`,
		env.fix.JusB.ID, mustHash(t, env))
	c := env.signedIn("new.staff@jusb.example")
	for _, path := range []string{"/admin", "/o/acme", "/o/acme/tasks", "/account", "/"} {
		got := c.get(path)
		loc := got.Header.Get("Location")
		if path == "/" && loc == "/admin" {
			got = c.get(loc)
			loc = got.Header.Get("Location")
		}
		if got.StatusCode != http.StatusSeeOther || loc != "/account/two-factor" {
			t.Errorf("GET %s: %d %s, want 303 to /account/two-factor", path,
				got.StatusCode, loc)
		}
	}
	if got := c.get("/o/acme", htmx...); got.Header.Get("HX-Redirect") !=
		"/account/two-factor" {
		t.Errorf("HTMX request: HX-Redirect %q", got.Header.Get("HX-Redirect"))
	}
	page := c.get("/account/two-factor")
	if parseHTML(t, page.body).Find("[data-testid=two-factor-required]").Length() != 1 {
		t.Error("the enrolment page does not say staff must enrol")
	}

	enrol(t, c)
	if got := c.get("/admin"); got.StatusCode != http.StatusOK {
		t.Errorf("/admin after enrolling: %d", got.StatusCode)
	}
}

// TestTwoFactorRateLimit limits codes per user, whatever the client address, and
// per client address (A7, R3 for the second factor).
func TestTwoFactorRateLimit(t *testing.T) {
	env := newTestEnv(t, Config{Accounts: AccountsConfig{
		TwoFactorPerUser: Rate{Count: 3, Window: time.Hour},
		TwoFactorPerIP:   Rate{Count: 6, Window: time.Hour}}})
	var got []int
	for range 4 {
		c := env.client()
		c.signIn("admin@jusb.example", testPassword)
		got = append(got, c.post("/signin/two-factor",
			url.Values{"code": {"000000"}}).StatusCode)
	}
	c := env.client()
	c.signIn("admin@jusb.example", testPassword)
	env.exec(t, `UPDATE user_totp SET last_step = NULL`)
	right := c.post("/signin/two-factor",
		url.Values{"code": {totpCode(t, testTOTPSecret, time.Now())}})
	got = append(got, right.StatusCode)
	want := []int{401, 401, 401, 429, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attempt %d: %d, want %d (all %v)", i+1, got[i], want[i], got)
		}
	}
	// The sixth and seventh code from the same address, for another user.
	env.exec(t, `INSERT INTO user_totp (org_id, user_id, secret) VALUES ($1, $2, $3)`,
		env.fix.Acme.ID, env.fix.Alice.ID, testTOTPSecret)
	for i, want := range []int{401, 429} {
		c := env.client()
		c.signIn("alice@acme.example", testPassword)
		if got := c.post("/signin/two-factor", url.Values{"code": {"000000"}}); got.
			StatusCode != want {
			t.Errorf("address attempt %d: %d, want %d", 6+i, got.StatusCode, want)
		}
	}
}

// TestDisableTwoFactor needs the password or a code; a wrong one changes nothing.
func TestDisableTwoFactor(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.signedIn("alice@acme.example")
	secret, _ := enrol(t, c)
	for _, form := range []url.Values{{}, {"password": {"wrong password"}},
		{"code": {"000000"}}} {
		if got := c.post("/account/two-factor/disable", form); got.StatusCode !=
			http.StatusUnprocessableEntity {
			t.Errorf("disable with %v: %d, want 422", form, got.StatusCode)
		}
	}
	got := c.post("/account/two-factor/disable", url.Values{"password": {testPassword}})
	if got.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable with the password: %d", got.StatusCode)
	}
	var left int
	_ = env.staffConn().QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM user_totp WHERE user_id = $1) +
		(SELECT count(*) FROM recovery_code WHERE user_id = $1)`, env.fix.Alice.ID).Scan(&left)
	if left != 0 {
		t.Errorf("%d key and recovery rows left", left)
	}
	if got := env.client().signIn("alice@acme.example", testPassword); got.Header.Get(
		"Location") != "/o/acme" {
		t.Errorf("sign-in after disabling goes to %q", got.Header.Get("Location"))
	}
	checkActivity(t, env, "alice@acme.example", "user.two_factor_disabled")
	checkNoSecretsLogged(t, env, secret)
}

// TestRenewRecoveryCodes makes new recovery codes with the password: without it or
// with a wrong one nothing changes; with it the old codes stop working and the new ones
// sign in, once each.
func TestRenewRecoveryCodes(t *testing.T) {
	env := newTestEnv(t, Config{Accounts: AccountsConfig{
		TwoFactorPerUser: Rate{Count: 20, Window: time.Minute}}})
	c := env.signedIn("alice@acme.example")
	secret, old := enrol(t, c)

	for _, form := range []url.Values{{}, {"renew_password": {"wrong password"}},
		{"code": {totpCode(t, secret, time.Now())}}} {
		got := c.post("/account/two-factor/recovery-codes", form)
		if got.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("renew with %v: %d, want 422", form, got.StatusCode)
		}
		field := parseHTML(t, got.body).Find("#renew_password")
		if d, _ := field.Attr("aria-describedby"); d != "renew-error" {
			t.Errorf("renew with %v: the field is described by %q, want the error", form, d)
		}
	}
	signInWithCode := func(code string) int {
		t.Helper()
		c := env.client()
		c.signIn("alice@acme.example", testPassword)
		return c.post("/signin/two-factor", url.Values{"code": {code}}).StatusCode
	}
	if got := signInWithCode(old[0]); got != http.StatusSeeOther {
		t.Fatalf("an old code after the refused renewals: %d, want 303", got)
	}

	got := c.post("/account/two-factor/recovery-codes",
		url.Values{"renew_password": {testPassword}})
	if got.StatusCode != http.StatusOK {
		t.Fatalf("renew with the password: %d", got.StatusCode)
	}
	var fresh []string
	parseHTML(t, got.body).Find("[data-testid=recovery-codes] li").Each(
		func(_ int, s *goquery.Selection) { fresh = append(fresh, s.Text()) })
	if len(fresh) != recoveryCodeCount || slices.Contains(old, fresh[0]) {
		t.Fatalf("new codes shown: %v", fresh)
	}
	for _, tc := range []struct {
		code string
		want int
	}{
		{old[1], http.StatusUnauthorized},
		{fresh[0], http.StatusSeeOther},
		{fresh[0], http.StatusUnauthorized},
	} {
		if got := signInWithCode(tc.code); got != tc.want {
			t.Errorf("sign in with %s: %d, want %d", tc.code, got, tc.want)
		}
	}
	page := parseHTML(t, c.get("/account").body)
	if got := page.Find("[data-testid=two-factor-status]").Text(); !strings.Contains(got,
		"9 recovery codes are left") {
		t.Errorf("account page says %q, want 9 codes left", got)
	}
	checkActivity(t, env, "alice@acme.example", "user.recovery_codes_renewed")
	checkNoSecretsLogged(t, env, append(fresh, testPassword)...)
}

// checkActivity checks that the user's organization's activity log holds each action,
// about that user.
func checkActivity(t *testing.T, env *testEnv, addr string, actions ...string) {
	t.Helper()
	for _, action := range actions {
		var n int
		err := env.staffConn().QueryRow(context.Background(), `SELECT count(*)
			FROM activity a JOIN app_user u ON u.org_id = a.org_id AND u.id = a.target_id
			WHERE u.email = $1 AND a.action = $2`, addr, action).Scan(&n)
		if err != nil || n == 0 {
			t.Errorf("no %s entry about %s in the activity log (%v)", action, addr, err)
		}
	}
}

// checkNoSecretsLogged fails when any secret is in the portal's log (L2).
func checkNoSecretsLogged(t *testing.T, env *testEnv, secrets ...string) {
	t.Helper()
	logs := env.logs.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the log holds a secret (%d characters)", len(s))
		}
	}
}

// TestTwoFactorStepExpires leaves the second step waiting past pendingTTL: the code,
// right as it is, then signs nobody in, and the sign-in starts over.
func TestTwoFactorStepExpires(t *testing.T) {
	var late atomic.Int64
	env := newTestEnv(t, Config{Clock: func() time.Time {
		return time.Now().Add(time.Duration(late.Load()))
	}})
	c := env.client()
	c.signIn("admin@jusb.example", testPassword)
	if got := c.get("/signin/two-factor"); got.StatusCode != http.StatusOK {
		t.Fatalf("second step: %d", got.StatusCode)
	}

	late.Store(int64(pendingTTL + time.Second))
	got := c.post("/signin/two-factor",
		url.Values{"code": {totpCode(t, testTOTPSecret, time.Now())}})
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/signin" {
		t.Errorf("a code after %v: %d to %q, want 303 to /signin", pendingTTL,
			got.StatusCode, got.Header.Get("Location"))
	}
	if got := c.get("/admin"); got.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(got.Header.Get("Location"), "/signin") {
		t.Errorf("/admin after the expired step: %d to %q, want the sign-in",
			got.StatusCode, got.Header.Get("Location"))
	}
	late.Store(0)
	if got := c.get("/signin/two-factor"); got.StatusCode != http.StatusSeeOther {
		t.Errorf("the expired step came back: %d", got.StatusCode)
	}
}
