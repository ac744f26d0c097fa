package handlers_test

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// TestBrowserGlobalActivity: staff type in the filter of the activity log across
// organizations in a real Chromium and see the rows narrow in place, then pick an
// organization and see only its rows, with its people offered in the person filter;
// the address follows. Any JavaScript error or CSP violation fails the test.
func TestBrowserGlobalActivity(t *testing.T) {
	chromium := chromiumPath(t)
	portal := startPortal(t)
	ctx, watch := startBrowser(t, chromium)
	t.Cleanup(func() { watch.check(t) })

	// Bob (Acme) and Dave (Globex) sign in and out; then staff sign in.
	for _, email := range []string{"bob@acme.example", "dave@globex.example"} {
		signInWithKeyboard(t, ctx, portal.URL, email, demoPassword)
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(
			"[data-testid=sign-out]"))); err != nil {
			t.Fatalf("sign %s out: %v", email, err)
		}
	}
	signInStaffWithKeyboard(t, ctx, portal.URL)

	do(t, ctx, "open the global activity log",
		chromedp.Navigate(portal.URL+"/admin/activity"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=activity-table]")))
	checkHTMX(t, ctx)
	if got := activityActors(t, ctx); len(got) != 5 {
		t.Fatalf("the log shows %q, want five entries", got)
	}
	run(t, ctx, "mark the page", chromedp.Evaluate[bool](`window.notReloaded = true`))

	t.Run("type in the search box", func(t *testing.T) {
		do(t, ctx, "type a name", chromedp.Focus(chromedp.CSS("#activity-q")),
			chromedp.KeyEvent("diaz"))
		waitForActivity(t, ctx, `location.search === "?q=diaz" && rows.length === 2`)
		if diff := cmp.Diff([]string{"Dave Diaz", "Dave Diaz"},
			activityActors(t, ctx)); diff != "" {
			t.Errorf("rows after typing (-want +got):\n%s", diff)
		}
		orgs := run(t, ctx, "read the organizations", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("[data-testid=activity-org-name]")]
				.map(e => e.textContent.trim())`))
		if diff := cmp.Diff([]string{"Globex", "Globex"}, orgs); diff != "" {
			t.Errorf("organization column (-want +got):\n%s", diff)
		}
	})

	t.Run("pick an organization", func(t *testing.T) {
		// The search box's clear button sends "search" with an empty value.
		run(t, ctx, "clear the search", chromedp.Evaluate[bool](`(() => {
			const q = document.getElementById("activity-q");
			q.value = "";
			return q.dispatchEvent(new Event("search", {bubbles: true})); })()`))
		waitForActivity(t, ctx, `rows.length === 5`)
		run(t, ctx, "choose Acme", chromedp.Evaluate[bool](`(() => {
			const s = document.getElementById("activity-org");
			s.value = [...s.options].find(o => o.textContent === "Acme").value;
			return s.dispatchEvent(new Event("change", {bubbles: true})); })()`))
		waitForActivity(t, ctx, `new URLSearchParams(location.search).has("org") &&
			rows.length === 2`)
		if diff := cmp.Diff([]string{"Bob Brown", "Bob Brown"},
			activityActors(t, ctx)); diff != "" {
			t.Errorf("rows of Acme (-want +got):\n%s", diff)
		}
		people := run(t, ctx, "read the person filter", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("#activity-actor option")]
				.map(o => o.textContent.trim())`))
		if diff := cmp.Diff([]string{"Anyone", "Alice Anders", "Bob Brown", "Jess Admin"},
			people); diff != "" {
			t.Errorf("people offered for Acme (-want +got):\n%s", diff)
		}
		if !run(t, ctx, "check the mark", chromedp.Evaluate[bool](
			`window.notReloaded === true`)) {
			t.Error("the page reloaded: the filter should update the rows in place")
		}
		saveScreenshot(t, ctx, "global-activity-filtered.png")

		loc, err := url.Parse(run(t, ctx, "read the location", chromedp.Location()))
		if err != nil {
			t.Fatal(err)
		}
		export := run(t, ctx, "read the export link", chromedp.Evaluate[string](
			`document.querySelector("[data-testid=activity-export]").getAttribute("href")`))
		if export != "/admin/activity.csv?"+loc.RawQuery {
			t.Errorf("export link %q does not carry the filter %q", export, loc.RawQuery)
		}
	})
}
