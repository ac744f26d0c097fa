package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"
)

// TestBrowserActivityFilter types in the activity log's filter in a real Chromium
// and sees the rows narrow without a page load, the address follow the filter, and a
// reload of that address show the same rows. It fails on any JavaScript error or
// Content-Security-Policy violation, which a trigger filter (eval) would cause.
func TestBrowserActivityFilter(t *testing.T) {
	chromium := chromiumPath(t)
	portal := startPortal(t)
	ctx, watch := startBrowser(t, chromium)
	t.Cleanup(func() { watch.check(t) })

	// Bob signs in and out, then Alice signs in: three entries in Acme's log.
	signInWithKeyboard(t, ctx, portal.URL, "bob@acme.example", demoPassword)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(
		"[data-testid=sign-out]"))); err != nil {
		t.Fatalf("sign Bob out: %v", err)
	}
	signInWithKeyboard(t, ctx, portal.URL, "alice@acme.example", demoPassword)

	do(t, ctx, "open the activity log", chromedp.Navigate(portal.URL+"/o/acme/activity"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=activity-table]")))
	checkHTMX(t, ctx)
	if got := activityActors(t, ctx); len(got) != 3 {
		t.Fatalf("the log shows %q, want three entries", got)
	}
	// A page that reloaded would lose this mark.
	run(t, ctx, "mark the page", chromedp.Evaluate[bool](`window.notReloaded = true`))

	t.Run("type in the search box", func(t *testing.T) {
		do(t, ctx, "type a name", chromedp.Focus(chromedp.CSS("#activity-q")),
			chromedp.KeyEvent("brown"))
		waitForActivity(t, ctx, `location.search === "?q=brown" && rows.length === 2`)
		if diff := cmp.Diff([]string{"Bob Brown", "Bob Brown"},
			activityActors(t, ctx)); diff != "" {
			t.Errorf("rows after typing (-want +got):\n%s", diff)
		}
		// What a screen reader reads out when the rows change.
		said := run(t, ctx, "read the status", chromedp.TextContent(chromedp.CSS(
			"#activity-announce[role=status]")))
		if said != "2 entries shown." {
			t.Errorf("status after typing = %q, want the count", said)
		}
		export := run(t, ctx, "read the export link", chromedp.Evaluate[string](
			`document.querySelector("[data-testid=activity-export]").getAttribute("href")`))
		if export != "/o/acme/activity.csv?q=brown" {
			t.Errorf("export link = %q, want it to carry the filter", export)
		}
	})

	t.Run("pick an action", func(t *testing.T) {
		// The options follow "Any action": signed in, then signed out. An arrow key
		// on a closed select changes it, as a keyboard user would.
		do(t, ctx, "choose signed out", chromedp.Focus(chromedp.CSS("#activity-action")),
			chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown))
		waitForActivity(t, ctx, `new URLSearchParams(location.search).get("action") ===
			"user.signed_out" && rows.length === 1`)
		if !run(t, ctx, "check the mark", chromedp.Evaluate[bool](
			`window.notReloaded === true`)) {
			t.Error("the page reloaded: the filter should update the rows in place")
		}
		saveScreenshot(t, ctx, "activity-filtered.png")
	})

	t.Run("the address reproduces the filter", func(t *testing.T) {
		loc, err := url.Parse(run(t, ctx, "read the location", chromedp.Location()))
		if err != nil {
			t.Fatal(err)
		}
		want := url.Values{"q": {"brown"}, "action": {"user.signed_out"}}
		if diff := cmp.Diff(want, loc.Query()); diff != "" {
			t.Errorf("query of %s (-want +got):\n%s", loc, diff)
		}
		do(t, ctx, "open the address afresh", chromedp.Navigate(loc.String()),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=activity-table]")))
		if got := run(t, ctx, "read the search box", chromedp.Value(chromedp.CSS(
			"#activity-q"))); got != "brown" {
			t.Errorf("search box = %q after loading the address", got)
		}
		if got := run(t, ctx, "read the action", chromedp.Value(chromedp.CSS(
			"#activity-action"))); got != "user.signed_out" {
			t.Errorf("action = %q after loading the address", got)
		}
		if got := activityActors(t, ctx); !cmp.Equal(got, []string{"Bob Brown"}) {
			t.Errorf("rows after loading the address: %q, want Bob's sign-out", got)
		}
	})
}

// TestBrowserActivityBadRange picks dates that make no range in a real Chromium: the
// mistake shows beside the field in place (a 422 that htmx swaps in), no entries
// show, and the address keeps the last filter that worked.
func TestBrowserActivityBadRange(t *testing.T) {
	chromium := chromiumPath(t)
	portal := startPortal(t)
	ctx, watch := startBrowser(t, chromium)
	t.Cleanup(func() {
		forgiveRefusedFilter(watch)
		watch.check(t)
	})

	signInWithKeyboard(t, ctx, portal.URL, "alice@acme.example", demoPassword)
	do(t, ctx, "open the activity log", chromedp.Navigate(portal.URL+"/o/acme/activity"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=activity-table]")))
	pick := func(id, date string) {
		t.Helper()
		run(t, ctx, "pick "+date+" in #"+id, chromedp.Evaluate[bool](`(() => {
			const input = document.getElementById(`+jsString(id)+`);
			input.value = `+jsString(date)+`;
			return input.dispatchEvent(new Event("change", {bubbles: true})); })()`))
	}

	pick("activity-from", "2026-01-10")
	waitForActivity(t, ctx, `location.search === "?from=2026-01-10"`)
	pick("activity-to", "2026-01-01")
	run(t, ctx, "wait for the mistake", chromedp.Poll[bool](
		`document.getElementById("activity-error-to").textContent.includes("before the start")`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if n := len(activityActors(t, ctx)); n != 0 {
		t.Errorf("%d entries shown for a range that ends before it starts", n)
	}
	if got := run(t, ctx, "read the location", chromedp.Location()); !strings.HasSuffix(got,
		"/o/acme/activity?from=2026-01-10") {
		t.Errorf("location = %s, want the last filter that worked", got)
	}
	if got := run(t, ctx, "read the dates", chromedp.Value(chromedp.CSS(
		"#activity-to"))); got != "2026-01-01" {
		t.Errorf("the form lost the date being corrected: %q", got)
	}
}

// forgiveRefusedFilter drops from w the one error this test causes on purpose:
// Chromium logs the 422 of the refused filter as a failed load.
func forgiveRefusedFilter(w *pageWatch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	kept := w.problems[:0]
	for _, p := range w.problems {
		if !strings.Contains(p, "/o/acme/activity?") || !strings.Contains(p, "status of 422") {
			kept = append(kept, p)
		}
	}
	w.problems = kept
}

// waitForActivity waits until cond, a JavaScript expression over rows (the log's rows),
// holds.
func waitForActivity(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	run(t, ctx, "wait for "+strings.Join(strings.Fields(cond), " "), chromedp.Poll[bool](
		`(() => { const rows = document.querySelectorAll("[data-testid=activity-row]");
			return `+cond+`; })()`, chromedp.WithPollingTimeout(10*time.Second)))
}

// activityActors reads the actor of each row the log shows.
func activityActors(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return run(t, ctx, "read the rows", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("[data-testid=activity-actor-name]")]
			.map(e => e.textContent.trim())`))
}
