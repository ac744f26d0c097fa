package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"
)

// The cookies the portal sets. Both carry the __Host- prefix, which a browser accepts
// only with Secure, Path=/ and no Domain.
const (
	sessionCookie = "__Host-portal_session"
	csrfCookie    = "__Host-csrf"
)

// TestBrowserSignIn signs in, looks at the dashboard and signs out in a real Chromium,
// with the keyboard, over plain HTTP on 127.0.0.1 as in development. It fails on any
// JavaScript exception, console error or Content-Security-Policy violation, and on
// any cookie that Chromium refuses to store.
func TestBrowserSignIn(t *testing.T) {
	chromium := chromiumPath(t)
	portal := startPortal(t)
	ctx, watch := startBrowser(t, chromium)

	t.Run("wrong password stays on the sign-in page", func(t *testing.T) {
		t.Cleanup(func() { watch.check(t) })
		openSignIn(t, ctx, portal.URL)
		do(t, ctx, "fill in the form",
			chromedp.SendKeys(chromedp.CSS("#email"), "alice@acme.example"),
			chromedp.SendKeys(chromedp.CSS("#password"), "not the password"))
		resp, err := chromedp.RunResponse(ctx,
			chromedp.Click(chromedp.CSS(`[data-testid=signin-form] button[type=submit]`)))
		if err != nil {
			t.Fatalf("submit the form: %v", err)
		}
		if resp.Status != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", resp.Status)
		}

		do(t, ctx, "wait for the error", chromedp.WaitVisible(chromedp.CSS(
			"[data-testid=form-error]")))
		if got := pathOf(t, ctx); got != "/signin" {
			t.Errorf("path = %q, want /signin", got)
		}
		msg := run(t, ctx, "read the error", chromedp.Text(chromedp.CSS(
			"[data-testid=form-error]")))
		if !strings.Contains(msg, "not right") {
			t.Errorf("form error = %q, want it to say the credentials are not right", msg)
		}
		email := run(t, ctx, "read #email", chromedp.Value(chromedp.CSS("#email")))
		pw := run(t, ctx, "read #password", chromedp.Value(chromedp.CSS("#password")))
		if email != "alice@acme.example" || pw != "" {
			t.Errorf("after the error the form holds email %q, password %q; "+
				"want the address kept and the password cleared", email, pw)
		}
		if _, ok := cookies(t, ctx, portal.URL)[sessionCookie]; ok {
			t.Errorf("a failed sign-in left a %s cookie", sessionCookie)
		}
	})

	t.Run("sign in, see the dashboard, sign out", func(t *testing.T) {
		t.Cleanup(func() { watch.check(t) })
		status := signInWithKeyboard(t, ctx, portal.URL, "alice@acme.example", demoPassword)
		checkCookiesStored(t, ctx, portal.URL, watch)
		if got := pathOf(t, ctx); got != "/o/acme" || status != http.StatusOK {
			t.Fatalf("after signing in: %d %s, want 200 /o/acme", status, got)
		}
		checkDashboard(t, ctx)
		checkHTMX(t, ctx)
		saveScreenshot(t, ctx, "dashboard.png")
		token := cookies(t, ctx, portal.URL)[sessionCookie].Value

		tabTo(t, ctx, "[data-testid=sign-out]")
		if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatalf("sign out with Enter: %v", err)
		}
		if got := pathOf(t, ctx); got != "/signin" {
			t.Errorf("after signing out, path = %q, want /signin", got)
		}
		if _, ok := cookies(t, ctx, portal.URL)[sessionCookie]; ok {
			t.Errorf("signing out left the %s cookie in the browser", sessionCookie)
		}
		checkSentToSignIn(t, ctx, portal.URL, "/o/acme")

		// The portal must have ended the session itself, not only the browser's
		// cookie: a copy of the old cookie gets nobody back in.
		restoreCookie(t, ctx, portal.URL, sessionCookie, token)
		checkSentToSignIn(t, ctx, portal.URL, "/o/acme")
	})
}

// checkSentToSignIn opens path and checks that the portal sends the browser to the
// sign-in page, to come back to path afterwards.
func checkSentToSignIn(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	do(t, ctx, "open "+path, chromedp.Navigate(base+path))
	loc, err := url.Parse(run(t, ctx, "read the location", chromedp.Location()))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Path != "/signin" || loc.Query().Get("next") != path {
		t.Errorf("%s went to %s, want /signin?next=%s", path, loc.RequestURI(),
			url.QueryEscape(path))
	}
}

// checkDashboard checks what Alice sees on her dashboard right after signing in.
func checkDashboard(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "wait for the dashboard",
		chromedp.WaitVisible(chromedp.CSS("[data-testid=org-name]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=activity-list]")))

	// TextContent, not Text: the organization's name is styled in capitals.
	tests := []struct {
		testid, want string
	}{
		{"org-name", "Acme"},
		{"signed-in-user", "Alice Anders"},
		{"activity-list", "Alice Anders signed in"},
	}
	for _, tt := range tests {
		got := run(t, ctx, "read "+tt.testid, chromedp.TextContent(chromedp.CSS(
			"[data-testid="+tt.testid+"]")))
		got = strings.Join(strings.Fields(got), " ")
		if !strings.Contains(got, tt.want) {
			t.Errorf("[data-testid=%s] = %q, want it to contain %q", tt.testid, got, tt.want)
		}
	}
}

// checkCookiesStored checks that Chromium stored the session and CSRF cookies with
// the attributes the portal set. A refused cookie stops the test with Chromium's
// reasons, since nothing after sign-in can work without it.
func checkCookiesStored(t *testing.T, ctx context.Context, base string, w *pageWatch) {
	t.Helper()
	type flags struct {
		Secure, HTTPOnly, Session bool
		Path                      string
		SameSite                  network.CookieSameSite
	}
	want := flags{Secure: true, HTTPOnly: true, Session: true, Path: "/",
		SameSite: network.CookieSameSiteLax}
	jar := cookies(t, ctx, base)
	for _, name := range []string{sessionCookie, csrfCookie} {
		c, ok := jar[name]
		if !ok {
			t.Fatalf("Chromium did not store the %s cookie over %s; refused cookies: %v",
				name, base, w.refusedCookies())
		}
		got := flags{Secure: c.Secure, HTTPOnly: c.HTTPOnly, Session: c.Session,
			Path: c.Path, SameSite: c.SameSite}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s cookie attributes (-want +got):\n%s", name, diff)
		}
	}
}

// cookies returns the browser's cookies for base by name.
func cookies(t *testing.T, ctx context.Context, base string) map[string]*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies,
		network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		t.Fatalf("read cookies: %v", err)
	}
	jar := make(map[string]*network.Cookie, len(res.Cookies))
	for _, c := range res.Cookies {
		jar[c.Name] = c
	}
	return jar
}

// restoreCookie puts a cookie back into the browser, as someone who copied it would.
func restoreCookie(t *testing.T, ctx context.Context, base, name, value string) {
	t.Helper()
	_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: name,
		Value: value, URL: base, Path: "/", Secure: new(true), HTTPOnly: new(true),
		SameSite: network.CookieSameSiteLax})
	if err != nil {
		t.Fatalf("restore the %s cookie: %v", name, err)
	}
	if c, ok := cookies(t, ctx, base)[name]; !ok || c.Value != value {
		t.Fatalf("Chromium did not take back the %s cookie", name)
	}
}
