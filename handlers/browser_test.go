package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"
	"github.com/pquerna/otp/totp"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
	"github.com/jusb/portal/handlers"
	"github.com/jusb/portal/handlers/password"
)

// demoPassword is every seeded user's password.
const demoPassword = "correct horse battery"

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

// chromiumPath finds Chromium: CHROMIUM_PATH, or chromium or chromium-browser on
// PATH. Without one the test is skipped, except under CI, where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found (CI is set, so this is a failure): " +
			"install chromium or set CHROMIUM_PATH")
	}
	t.Skip("no Chromium found: install chromium or set CHROMIUM_PATH")
	return ""
}

// startPortal serves the portal over plain HTTP on a fresh, seeded database. The
// portal's log is printed only when the test fails.
func startPortal(t *testing.T) *httptest.Server {
	t.Helper()
	store, _ := dbtest.Store(t, nil)
	hasher, err := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hasher.Hash(t.Context(), demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	fix := dbtest.Seed(t, store, hash)
	// Staff must sign in with a second factor: the fixture's staff member has a known key.
	err = store.InOrg(t.Context(), fix.JusB.ID, func(q *db.Queries) error {
		return q.EnableUserTOTP(t.Context(), db.EnableUserTOTPParams{OrgID: fix.JusB.ID,
			UserID: fix.Admin.ID, Secret: staffTOTPSecret})
	})
	if err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("portal log:\n%s", logs.String())
		}
	})
	srv := handlers.New(handlers.Config{}, store, hasher, slog.New(slog.NewTextHandler(&logs,
		&slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// startBrowser starts a headless Chromium with a fresh profile and opens a tab. The
// whole test gets 60 seconds, so that a hang fails instead of blocking.
func startBrowser(t *testing.T, chromium string) (context.Context, *pageWatch) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // the tests run as root
		// Some of these are defaults already; they are stated so that the test
		// does not depend on chromedp's list.
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)

	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	t.Logf("started Chromium in %v", time.Since(start).Round(time.Millisecond))

	w := &pageWatch{}
	if err := chromedp.Listen(ctx, w.observe); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return ctx, w
}

// openSignIn loads the sign-in page and checks that htmx runs on it.
func openSignIn(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	do(t, ctx, "open the sign-in page", chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("form[data-testid=signin-form]")))
	checkHTMX(t, ctx)
}

// signInWithKeyboard types the e-mail address, moves on with Tab as a keyboard user
// would, and submits with Enter. It returns the status of the page it lands on.
// staffTOTPSecret is the two-factor key of the portal's staff member in browser tests.
const staffTOTPSecret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"

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

// pageWatch collects what the browser reports going wrong in the tab: exceptions,
// console errors and warnings, CSP and other security messages, failed loads and
// refused cookies. chromedp calls observe from the tab's event loop, in order.
type pageWatch struct {
	mu       sync.Mutex
	problems []string
	refused  []string
}

func (w *pageWatch) observe(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		w.problems = append(w.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL,
			d.LineNumber+1, text))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError ||
			ev.Type == runtime.ConsoleAPICalledTypeWarning ||
			ev.Type == runtime.ConsoleAPICalledTypeAssert {
			w.problems = append(w.problems, fmt.Sprintf("console.%s: %s", ev.Type,
				consoleArgs(ev.Args)))
		}
	case *log.EventEntryAdded:
		if e := ev.Entry; isProblem(e) {
			w.problems = append(w.problems, fmt.Sprintf("%s %s at %s: %s", e.Source,
				e.Level, e.URL, e.Text))
		}
	case *network.EventResponseReceivedExtraInfo:
		for _, c := range ev.BlockedCookies {
			line, _, _ := strings.Cut(c.CookieLine, "=")
			r := fmt.Sprintf("%s refused: %v", line, c.BlockedReasons)
			w.refused = append(w.refused, r)
			w.problems = append(w.problems, "cookie "+r)
		}
	}
}

// isProblem reports whether a browser log entry means something is broken. Every
// security entry counts, CSP violations among them; so does every error except the
// two the test causes on purpose: the 401 of a wrong password, and the favicon the
// portal does not have.
func isProblem(e *log.Entry) bool {
	if e.Source == log.EntrySourceSecurity || strings.Contains(e.Text, "Content Security") {
		return true
	}
	if e.Level != log.EntryLevelError {
		return false
	}
	if e.Source == log.EntrySourceNetwork {
		u, err := url.Parse(e.URL)
		switch {
		case err != nil:
			return true
		case u.Path == "/favicon.ico":
			return false
		case u.Path == "/signin" && strings.Contains(e.Text, "status of 401"):
			return false
		}
	}
	return true
}

func consoleArgs(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

func (w *pageWatch) refusedCookies() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.refused...)
}

// dismiss forgets the problems seen so far that contain text: what a test caused on
// purpose, such as the browser's log line for a refused form (a 422).
func (w *pageWatch) dismiss(text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.problems = slices.DeleteFunc(w.problems, func(p string) bool {
		return strings.Contains(p, text)
	})
}

// check fails t with every problem seen since the last check.
func (w *pageWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.problems {
		t.Errorf("browser reported: %s", p)
	}
	w.problems = nil
}
