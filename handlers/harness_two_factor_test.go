package handlers

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp/totp"

	"github.com/jusb/portal/db/dbtest"
)

// testTOTPSecret is the fixture staff member's TOTP key: JusB staff must sign in with
// a second factor, so the fixture's has one from the start.
const testTOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// enrolFixtureStaff gives the fixture's staff member testTOTPSecret.
func enrolFixtureStaff(t testing.TB, urls dbtest.URLs, fix dbtest.Fixture) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, urls.Staff)
	if err != nil {
		t.Fatalf("connect as portal_staff: %v", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO user_totp (org_id, user_id, secret)
		VALUES ($1, $2, $3)`, fix.JusB.ID, fix.Admin.ID, testTOTPSecret)
	if err != nil {
		t.Fatalf("enrol fixture staff: %v", err)
	}
}

// totpCode is the code of secret for now, as an authenticator app shows it.
func totpCode(t testing.TB, secret string, now time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, now, totpOpts)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// passTwoFactor finishes the sign-in of the fixture's staff member with a code. The
// portal takes each step's code once, and tests sign staff in many times within one
// 30-second step, so the harness first forgets which step was used; tests of reuse
// (TestTwoFactorCodeOnce) do not come this way.
func (c *testClient) passTwoFactor(email string) response {
	c.env.t.Helper()
	c.env.exec(c.env.t, `UPDATE user_totp SET last_step = NULL
		WHERE user_id = (SELECT id FROM app_user WHERE email = $1)`, email)
	return c.post("/signin/two-factor",
		url.Values{"code": {totpCode(c.env.t, testTOTPSecret, time.Now())}})
}
