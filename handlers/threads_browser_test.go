package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLiveThread runs two Chromiums: Alice starts a thread and posts in it, and
// Bob, who has the thread open in his own browser, sees her message appear without
// reloading. Both pages must stay free of JavaScript errors and CSP violations.
func TestBrowserLiveThread(t *testing.T) {
	chromium := chromiumPath(t)
	portal := startPortal(t)
	alice, aliceWatch := startBrowser(t, chromium)
	bob, bobWatch := startBrowser(t, chromium)
	t.Cleanup(func() {
		aliceWatch.check(t)
		bobWatch.check(t)
	})

	signInWithKeyboard(t, alice, portal.URL, "alice@acme.example", demoPassword)
	do(t, alice, "start a thread",
		chromedp.Navigate(portal.URL+"/o/acme/threads"),
		chromedp.WaitVisible(chromedp.CSS("#thread-title")),
		chromedp.SendKeys(chromedp.CSS("#thread-title"), "Office move"),
		chromedp.SendKeys(chromedp.CSS("#thread-body"), "Which day suits **everyone**?"),
		chromedp.Click(chromedp.CSS("[data-testid=new-thread-form] button[type=submit]")))
	href := run(t, alice, "wait for the new thread in the list", chromedp.Poll[string](
		`(() => { const a = [...document.querySelectorAll("[data-testid=thread-title]")]
			.find(a => a.textContent === "Office move");
			return a ? a.getAttribute("href") : ""; })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	title := run(t, alice, "read the form", chromedp.Value(chromedp.CSS("#thread-title")))
	if title != "" {
		t.Errorf("the new-thread form still holds %q", title)
	}
	// The form was replaced under the focus: the focus goes back to its title, and a
	// notice says what happened.
	focused := activeID(t, alice)
	notice := run(t, alice, "read the notice", chromedp.Text(chromedp.CSS(
		"[data-testid=thread-started]")))
	if focused != "thread-title" || notice != "Started the thread “Office move”." {
		t.Errorf("after starting the thread: focus on %q, notice %q", focused, notice)
	}

	do(t, alice, "open the thread", chromedp.Navigate(portal.URL+href))
	waitLive(t, alice)

	signInWithKeyboard(t, bob, portal.URL, "bob@acme.example", demoPassword)
	do(t, bob, "open the thread", chromedp.Navigate(portal.URL+href))
	waitLive(t, bob)
	// A page that reloaded would lose this mark.
	run(t, bob, "mark the page", chromedp.Evaluate[bool](`window.notReloaded = true`))

	const text = "Tuesday works for Acme."
	do(t, alice, "post a message",
		chromedp.SendKeys(chromedp.CSS("#message-body"), text),
		chromedp.Click(chromedp.CSS("[data-testid=message-submit]")))

	count := `[...document.querySelectorAll("[data-testid=message-body]")]
		.filter(b => b.textContent.includes(` + jsString(text) + `)).length`
	got := run(t, bob, "wait for Alice's message in Bob's browser", chromedp.Poll[int](
		count+` || false`, chromedp.WithPollingTimeout(10*time.Second)))
	if got != 1 {
		t.Errorf("Bob's page shows the message %d times, want once", got)
	}
	if !run(t, bob, "check the mark", chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Error("Bob's page reloaded")
	}
	author := run(t, bob, "read the author", chromedp.Text(chromedp.CSS(
		"#messages [data-testid=message]:last-child [data-testid=message-author]")))
	if author != "Alice Anders" {
		t.Errorf("author of the new message = %q, want Alice Anders", author)
	}

	// Alice's own page has the message once, from her post, and an empty form.
	run(t, alice, "wait for the message in Alice's browser", chromedp.Poll[int](
		count+` || false`, chromedp.WithPollingTimeout(10*time.Second)))
	time.Sleep(500 * time.Millisecond) // give a duplicate from her own stream time to land
	if n := run(t, alice, "count", chromedp.Evaluate[int](count)); n != 1 {
		t.Errorf("Alice's page shows her message %d times, want once", n)
	}
	if v := run(t, alice, "read the form", chromedp.Value(chromedp.CSS("#message-body"))); v != "" {
		t.Errorf("the post form still holds %q", v)
	}
	saveScreenshot(t, bob, "thread-live.png")

	// A message of spaces passes the browser's check and not the server's: the error
	// shows in place, and the focus is back in the message box it is about.
	do(t, alice, "post spaces",
		chromedp.SendKeys(chromedp.CSS("#message-body"), "   "),
		chromedp.Click(chromedp.CSS("[data-testid=message-submit]")),
		chromedp.WaitVisible(chromedp.CSS("#message-error")))
	focused = activeID(t, alice)
	if focused != "message-body" {
		t.Errorf("after the refused post the focus is on %q, want the message box", focused)
	}
	aliceWatch.dismiss("status of 422")
}

// waitLive waits until the thread page's live stream is connected.
func waitLive(t *testing.T, ctx context.Context) {
	t.Helper()
	// The page's execution context can be replaced while the poll runs (a late
	// navigation settling); the poll then starts again in the new context.
	var err error
	for range 3 {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](
			`document.getElementById("messages")?._htmx?.sse?.status === 200`,
			chromedp.WithPollingTimeout(10*time.Second)))
		if err == nil || !strings.Contains(err.Error(), "Cannot find context") {
			break
		}
	}
	if err != nil {
		t.Fatalf("wait for the live stream: %v", err)
	}
}
