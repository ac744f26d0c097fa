package handlers_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeScript is axe-core's browser build, installed by npm with the other front-end
// tools (package.json).
const axeScript = "../node_modules/axe-core/axe.min.js"

// axeTags are the rule sets the pages are held to: WCAG 2.1 levels A and AA, and
// axe-core's best practices (landmarks, heading order, ...).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"}

// axeViolation is one rule that a page breaks, with where.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// TestBrowserAccessibility runs axe-core in Chromium over every page that a visitor, a
// client admin and a staff member open, with rows in them and with a form refused in
// place, and fails on any violation of axeTags' rules.
func TestBrowserAccessibility(t *testing.T) {
	chromium := chromiumPath(t)
	axe := readAxe(t)
	portal := startPortal(t)
	ctx, watch := startBrowser(t, chromium)
	t.Cleanup(func() { watch.check(t) })

	check := func(path string) {
		t.Helper()
		do(t, ctx, "open "+path, chromedp.Navigate(portal.URL+path),
			chromedp.WaitReady(chromedp.CSS("main")))
		checkAxe(t, ctx, axe, path)
	}
	// A planted fault shows that the check finds what it is for.
	do(t, ctx, "open the sign-in page", chromedp.Navigate(portal.URL+"/signin"),
		chromedp.WaitReady(chromedp.CSS("main")))
	run(t, ctx, "plant an image without a text", chromedp.Evaluate[bool](`(() => {
		document.querySelector("main").append(document.createElement("img"));
		return true; })()`))
	if got := axeViolations(t, ctx, axe, "/signin"); len(got) != 1 || got[0].ID != "image-alt" {
		t.Fatalf("axe-core on a page with an image without alt: %+v, want image-alt", got)
	}

	for _, path := range []string{"/signin", "/password/forgot", "/password/reset?token=x"} {
		check(path)
	}
	watch.dismiss("status of 410") // the reset link that is not valid, on purpose

	signInWithKeyboard(t, ctx, portal.URL, "alice@acme.example", demoPassword)
	addContent(t, ctx, portal.URL)
	pages := []string{"/o/acme", "/o/acme/threads", "/o/acme/files", "/o/acme/tasks",
		"/o/acme/activity", "/o/acme/people", "/account", "/account/two-factor",
		"/o/acme/activity?from=2026-13-01"}
	for _, path := range pages {
		check(path)
	}
	var thread string
	for _, list := range []struct{ path, link string }{
		{"/o/acme/threads", "[data-testid=thread-title]"},
		{"/o/acme/tasks", "[data-testid=task-link]"},
	} {
		do(t, ctx, "open "+list.path, chromedp.Navigate(portal.URL+list.path),
			chromedp.WaitVisible(chromedp.CSS(list.link)))
		href := run(t, ctx, "read the first link", chromedp.Evaluate[string](
			`document.querySelector(`+jsString(list.link)+`).getAttribute("href")`))
		check(href)
		if thread == "" {
			thread = href
		}
		pages = append(pages, href)
	}
	// Refusals swapped in place: a message of spaces, a task without a title.
	do(t, ctx, "post spaces", chromedp.Navigate(portal.URL+thread),
		chromedp.SendKeys(chromedp.CSS("#message-body"), "   "),
		chromedp.Click(chromedp.CSS("[data-testid=message-submit]")),
		chromedp.WaitVisible(chromedp.CSS("#message-error")))
	checkAxe(t, ctx, axe, "the thread with a refused message")
	do(t, ctx, "create a task without a title",
		chromedp.Navigate(portal.URL+"/o/acme/tasks"),
		chromedp.Click(chromedp.CSS("[data-testid=task-create] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#task-create [data-testid=field-error]")))
	checkAxe(t, ctx, axe, "the tasks with a refused task")
	watch.dismiss("status of 422") // the bad date and the refusals, on purpose

	// At a phone's width no page is wider than the screen: long lines wrap or end in
	// an ellipsis, and wide tables scroll inside their own box. (The staff pages too,
	// below.)
	do(t, ctx, "narrow the window to a phone's", chromedp.EmulateViewport(375, 800))
	for _, path := range pages {
		checkFits(t, ctx, portal.URL+path)
	}
	do(t, ctx, "widen the window again", chromedp.EmulateViewport(1280, 800))
	watch.dismiss("status of 422")

	do(t, ctx, "sign out", chromedp.Click(chromedp.CSS("[data-testid=sign-out]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=signin-form]")))
	signInStaffWithKeyboard(t, ctx, portal.URL)
	staffPages := []string{"/admin", "/admin/activity", "/admin/users",
		"/admin/organizations/acme", "/o/acme"}
	for _, path := range staffPages {
		check(path)
	}
	do(t, ctx, "narrow the window to a phone's", chromedp.EmulateViewport(375, 800))
	for _, path := range staffPages {
		checkFits(t, ctx, portal.URL+path)
	}
}

// addContent gives Acme's workspace a thread with a Markdown message, a task with a
// note and a file, through the pages as a user would, so that the pages are checked
// with rows in them and not only in their empty state.
func addContent(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	do(t, ctx, "start a thread", chromedp.Navigate(base+"/o/acme/threads"),
		chromedp.SendKeys(chromedp.CSS("#thread-title"), "Office move"),
		chromedp.SendKeys(chromedp.CSS("#thread-body"),
			"Which **day** suits everyone on the team for moving the desks, the "+
				"screens and the archive boxes to the new floor?\n\n- [x] plan\n"+
				"- [ ] quote\n\n> a quote and `code`"),
		chromedp.Click(chromedp.CSS("[data-testid=new-thread-form] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=thread-started]")))
	do(t, ctx, "create a task", chromedp.Navigate(base+"/o/acme/tasks"),
		chromedp.SendKeys(chromedp.CSS("#new-task-title"), "Book the movers"),
		chromedp.Click(chromedp.CSS("[data-testid=task-create] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=task-created]")))
	path := filepath.Join(t.TempDir(), "floor plan.txt")
	if err := os.WriteFile(path, []byte("Desks by the windows.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "upload a file", chromedp.Navigate(base+"/o/acme/files"),
		chromedp.SetUploadFiles(chromedp.CSS("#upload-file"), []string{path}),
		chromedp.Click(chromedp.CSS("[data-testid=upload-submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=upload-notice]")))
}

// checkFits opens u and fails when the page is wider than the window, naming the
// elements that stick out (those not inside a box that scrolls or clips them).
func checkFits(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	do(t, ctx, "open "+u, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("main")))
	wide := run(t, ctx, "measure "+u, chromedp.Evaluate[string](`(() => {
		const root = document.documentElement, w = root.clientWidth;
		if (root.scrollWidth <= w) return "";
		const contained = e => {
			for (let a = e.parentElement; a; a = a.parentElement) {
				const o = getComputedStyle(a).overflowX;
				if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
			}
			return false;
		};
		const out = [...document.body.querySelectorAll("*")].filter(e =>
			e.getBoundingClientRect().right > w + 1 && !contained(e));
		return root.scrollWidth + " px wide in " + w + ": " + out.slice(0, 5).map(e =>
			e.tagName.toLowerCase() + (e.dataset.testid ? "[" + e.dataset.testid + "]" : "")
		).join(", ");
	})()`))
	if wide != "" {
		t.Errorf("%s at a phone's width: %s", u, wide)
	}
}

// readAxe returns axe-core's script, or skips the test without it (fails under CI).
func readAxe(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(axeScript)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("read axe-core (run npm ci): %v", err)
		}
		t.Skipf("no axe-core (run npm ci): %v", err)
	}
	return string(src)
}

// checkAxe runs axe-core over the page open in ctx and reports each violation.
func checkAxe(t *testing.T, ctx context.Context, axe, path string) {
	t.Helper()
	for _, v := range axeViolations(t, ctx, axe, path) {
		t.Errorf("%s: %s (%s, %s) at %s", path, v.ID, v.Help, v.Impact,
			strings.Join(v.Targets, "; "))
	}
}

// axeViolations runs axe-core over the page open in ctx.
func axeViolations(t *testing.T, ctx context.Context, axe, path string) []axeViolation {
	t.Helper()
	tags, _ := json.Marshal(axeTags)
	got := run(t, ctx, "run axe-core on "+path, chromedp.Evaluate[string](axe+`;
		(async () => {
			const r = await axe.run(document, {runOnly: {type: "tag", values: `+
		string(tags)+`}});
			return JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact,
				help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))})));
		})()`, chromedp.EvalAwaitPromise))
	var violations []axeViolation
	if err := json.Unmarshal([]byte(got), &violations); err != nil {
		t.Fatalf("axe-core's answer on %s: %v (%.200s)", path, err, got)
	}
	return violations
}
