package handlers_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/jusb/portal/db/dbtest"
	"github.com/jusb/portal/handlers"
	"github.com/jusb/portal/handlers/password"
)

// TestBrowserInvitation: in a real Chromium, a client_admin invites a colleague from
// the people page (the pending invitation appears without a page load), signs out,
// and the colleague follows the link of the e-mail that arrived over SMTP, chooses a
// name and a password and lands in the workspace, signed in. It fails on any
// JavaScript error or Content-Security-Policy violation.
func TestBrowserInvitation(t *testing.T) {
	chromium := chromiumPath(t)
	portal, waitForMail := startPortalWithMail(t)
	ctx, watch := startBrowser(t, chromium)
	t.Cleanup(func() { watch.check(t) })
	const colleague = "hana@acme.example"

	signInWithKeyboard(t, ctx, portal.URL, "alice@acme.example", demoPassword)
	do(t, ctx, "open the people page", chromedp.Navigate(portal.URL+"/o/acme/people"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=invite-form]")))
	checkHTMX(t, ctx)

	do(t, ctx, "type the address", chromedp.Focus(chromedp.CSS("#invite-email")),
		chromedp.KeyEvent(colleague))
	do(t, ctx, "send with Enter", chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=invite-sent]")))
	row := run(t, ctx, "read the pending invitation", chromedp.TextContent(chromedp.CSS(
		`[data-testid=invitation-row][data-email="`+colleague+`"]`)))
	if !strings.Contains(row, "Client") {
		t.Errorf("pending invitation row = %q", row)
	}
	if got := pathOf(t, ctx); got != "/o/acme/people" {
		t.Errorf("path = %q: the page was left", got)
	}

	link := regexp.MustCompile(`https?://\S+/invitations/accept\?token=[\w-]+`).
		FindString(waitForMail(t, colleague))
	if !strings.HasPrefix(link, portal.URL) {
		t.Fatalf("no link to %s in the mail", portal.URL)
	}
	do(t, ctx, "sign out", chromedp.Click(chromedp.CSS("[data-testid=sign-out]")),
		chromedp.WaitVisible(chromedp.CSS("form[data-testid=signin-form]")))

	do(t, ctx, "follow the link", chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=accept-form]")))
	do(t, ctx, "type a name", chromedp.Focus(chromedp.CSS("#accept-name")),
		chromedp.KeyEvent("Hana Hill"))
	tabTo(t, ctx, "#accept-password")
	do(t, ctx, "type a password", chromedp.KeyEvent("a long and quiet evening"))
	if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatalf("submit with Enter: %v", err)
	}
	do(t, ctx, "wait for the workspace",
		chromedp.WaitVisible(chromedp.CSS("[data-testid=org-name]")))
	if got := pathOf(t, ctx); got != "/o/acme" {
		t.Errorf("landed on %q, want /o/acme", got)
	}
	user := run(t, ctx, "read who is signed in", chromedp.TextContent(chromedp.CSS(
		"[data-testid=signed-in-user]")))
	if !strings.Contains(user, "Hana Hill") {
		t.Errorf("signed in as %q, want Hana Hill", user)
	}
}

// startPortalWithMail serves the portal like startPortal, mailing to a test SMTP
// server, with links to the portal's own address.
func startPortalWithMail(t *testing.T) (*httptest.Server, func(testing.TB, string) string) {
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
	dbtest.Seed(t, store, hash)

	var logs bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("portal log:\n%s", logs.String())
		}
	})
	sender, wait := handlers.StartTestMailbox(t)
	ts := httptest.NewUnstartedServer(nil)
	cfg := handlers.Config{Mail: sender, PublicURL: "http://" + ts.Listener.Addr().String()}
	srv := handlers.New(cfg, store, hasher, slog.New(slog.NewTextHandler(&logs,
		&slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(srv.Close)
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, wait
}
