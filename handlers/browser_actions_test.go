package handlers_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/pquerna/otp/totp"
)

// openSignIn loads the sign-in page and checks that htmx runs on it.
func openSignIn(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	do(t, ctx, "open the sign-in page", chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("form[data-testid=signin-form]")))
	checkHTMX(t, ctx)
}

// signInStaffWithKeyboard signs the staff member in, password then code, as a person
// would with the keyboard.
func signInStaffWithKeyboard(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	signInWithKeyboard(t, ctx, base, "admin@jusb.example", demoPassword)
	if got := pathOf(t, ctx); got != "/signin/two-factor" {
		t.Fatalf("after the password, path = %q, want /signin/two-factor", got)
	}
	code, err := totp.GenerateCode(staffTOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "type the sign-in code", chromedp.Focus(chromedp.CSS("#code")),
		chromedp.KeyEvent(code))
	tabTo(t, ctx, "[data-testid=two-factor-form] button[type=submit]")
	if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatalf("submit the code with Enter: %v", err)
	}
}

// signInWithKeyboard types the e-mail address, moves on with Tab as a keyboard user
// would, and submits with Enter. It returns the status of the page it lands on.
func signInWithKeyboard(t *testing.T, ctx context.Context, base, email, pw string) int64 {
	t.Helper()
	openSignIn(t, ctx, base)
	do(t, ctx, "type the e-mail address", chromedp.Focus(chromedp.CSS("#email")),
		chromedp.KeyEvent(email))
	tabTo(t, ctx, "#password")
	do(t, ctx, "type the password", chromedp.KeyEvent(pw))
	tabTo(t, ctx, "[data-testid=signin-form] button[type=submit]")
	resp, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(kb.Enter))
	if err != nil {
		t.Fatalf("submit the form with Enter: %v", err)
	}
	return resp.Status
}

// checkHTMX checks that htmx loaded under the page's CSP and read its configuration
// from the htmx-config meta tag.
func checkHTMX(t *testing.T, ctx context.Context) {
	t.Helper()
	got := run(t, ctx, "ask htmx for its state", chromedp.Evaluate[string](
		`typeof htmx !== "object" ? "htmx missing" :
			"version " + htmx.version + ", includeIndicatorCSS " +
			htmx.config.includeIndicatorCSS`))
	if want := "version 4.0.1, includeIndicatorCSS false"; got != want {
		t.Errorf("htmx on %s: %q, want %q", pathOf(t, ctx), got, want)
	}
}

// tabTo presses Tab until the focus is on the element that matches selector, as a
// keyboard user would. It fails when a few presses do not get there.
func tabTo(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	const maxPresses = 8
	isFocused := `document.activeElement !== null && document.activeElement.matches(` +
		jsString(selector) + `)`
	for range maxPresses {
		do(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		if run(t, ctx, "look at the focus", chromedp.Evaluate[bool](isFocused)) {
			return
		}
	}
	t.Fatalf("%d presses of Tab did not reach %s", maxPresses, selector)
}

// saveScreenshot saves a full-page screenshot for people to look at, in
// BROWSER_SCREENSHOTS if set and in the test's temporary directory otherwise.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("BROWSER_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png := run(t, ctx, "take a screenshot", chromedp.FullScreenshot(100))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

func pathOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc := run(t, ctx, "read the location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("parse location %q: %v", loc, err)
	}
	return u.Path
}

// run runs one action and returns its value; what says what the action was for.
func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// do runs actions that return nothing, in order.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// activeID returns the id of the element that has the focus.
func activeID(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, "look at the focus", chromedp.Evaluate[string](
		`document.activeElement ? document.activeElement.id : ""`))
}
