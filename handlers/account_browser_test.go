package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// TestBrowserTwoFactor turns on two-factor sign-in from the account page in a real
// Chromium, reading the key off the page as a person who cannot scan would, then
// signs out and in again with the password and a code computed from that key.
func TestBrowserTwoFactor(t *testing.T) {
	chromium := chromiumPath(t)
	portal := startPortal(t)
	ctx, watch := startBrowser(t, chromium)
	t.Cleanup(func() { watch.check(t) })

	signInWithKeyboard(t, ctx, portal.URL, "alice@acme.example", demoPassword)
	click := func(what, selector string) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	click("open the account page", "[data-testid=account-link]")
	if got := pathOf(t, ctx); got != "/account" {
		t.Fatalf("path = %q, want /account", got)
	}
	click("open the enrolment", "[data-testid=two-factor-setup-link]")
	do(t, ctx, "wait for the QR code", chromedp.WaitVisible(chromedp.CSS(
		"[data-testid=two-factor-qr]")))
	secret := strings.ReplaceAll(run(t, ctx, "read the key", chromedp.Text(chromedp.CSS(
		"[data-testid=two-factor-secret]"))), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("code from the key %q: %v", secret, err)
	}
	// A mistyped code brings the page back with the focus in the field to fix, and the
	// field points at the error, so a screen reader says what is wrong.
	do(t, ctx, "type a short code", chromedp.SendKeys(chromedp.CSS("#code"), "12345"))
	click("try it", "[data-testid=two-factor-enable-form] button[type=submit]")
	do(t, ctx, "wait for the error", chromedp.WaitVisible(chromedp.CSS("#enable-error")))
	described := run(t, ctx, "read the field's description", chromedp.Evaluate[string](
		`document.getElementById("code").getAttribute("aria-describedby") || ""`))
	if id := activeID(t, ctx); id != "code" || described != "enable-error" {
		t.Errorf("after a wrong code: focus on %q, field described by %q; want code, "+
			"enable-error", id, described)
	}
	watch.dismiss("status of 422")

	do(t, ctx, "type the code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	click("turn it on", "[data-testid=two-factor-enable-form] button[type=submit]")
	do(t, ctx, "wait for the recovery codes", chromedp.WaitVisible(chromedp.CSS(
		"[data-testid=recovery-codes]")))
	saveScreenshot(t, ctx, "recovery-codes.png")

	click("continue", "[data-testid=continue]")
	click("sign out", "[data-testid=sign-out]")
	signInWithKeyboard(t, ctx, portal.URL, "alice@acme.example", demoPassword)
	if got := pathOf(t, ctx); got != "/signin/two-factor" {
		t.Fatalf("after the password, path = %q, want /signin/two-factor", got)
	}
	// The page asks for the code alone, so the focus is already in its field.
	if id := activeID(t, ctx); id != "code" {
		t.Errorf("on the code step the focus is on %q, want the code field", id)
	}
	// The enrolment took this step's code; the app's next one is accepted too.
	code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	do(t, ctx, "type the sign-in code", chromedp.KeyEvent(code))
	click("sign in", "[data-testid=two-factor-form] button[type=submit]")
	if got := pathOf(t, ctx); got != "/o/acme" {
		t.Errorf("after the code, path = %q, want /o/acme", got)
	}
}
