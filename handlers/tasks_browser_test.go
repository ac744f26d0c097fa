package handlers_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserTasks creates a task and moves it to done in a real Chromium, with the
// keyboard: the new task appears in the list without a page load and the form clears;
// on the task's page the status changes in place, keeping the focus; the list then
// shows the task done, and its filter narrows the list live and keeps the filter in
// the URL. It fails on any JavaScript error or Content-Security-Policy violation.
func TestBrowserTasks(t *testing.T) {
	chromium := chromiumPath(t)
	portal := startPortal(t)
	ctx, watch := startBrowser(t, chromium)
	t.Cleanup(func() { watch.check(t) })
	const title = "Ship the welcome pack"

	signInWithKeyboard(t, ctx, portal.URL, "alice@acme.example", demoPassword)
	do(t, ctx, "open the tasks", chromedp.Navigate(portal.URL+"/o/acme/tasks"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=task-create]")))
	checkHTMX(t, ctx)

	t.Run("create a task in place", func(t *testing.T) {
		do(t, ctx, "type the title", chromedp.Focus(chromedp.CSS("#new-task-title")),
			chromedp.KeyEvent(title))
		do(t, ctx, "submit with Enter", chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=task-created]")))

		row := run(t, ctx, "read the new row", chromedp.TextContent(chromedp.CSS(
			"#task-rows [data-testid=task-item]")))
		if !strings.Contains(row, title) || !strings.Contains(row, "Open") {
			t.Errorf("first row = %q, want the new task, open", row)
		}
		if v := run(t, ctx, "read the title field", chromedp.Value(chromedp.CSS(
			"#new-task-title"))); v != "" {
			t.Errorf("the form still holds %q", v)
		}
		if id := activeID(t, ctx); id != "new-task-title" {
			t.Errorf("focus on %q, want the fresh title field, to type the next task", id)
		}
		if got := pathOf(t, ctx); got != "/o/acme/tasks" {
			t.Errorf("path = %q: the page was left", got)
		}
	})

	t.Run("an empty title is refused in place", func(t *testing.T) {
		do(t, ctx, "submit an empty title", chromedp.Focus(chromedp.CSS("#new-task-title")),
			chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(chromedp.CSS("#task-create [data-testid=field-error]")))
		msg := run(t, ctx, "read the error", chromedp.Text(chromedp.CSS(
			"#task-create [data-testid=field-error]")))
		if !strings.Contains(msg, "Enter a title") {
			t.Errorf("error = %q", msg)
		}
		rows := run(t, ctx, "count the rows", chromedp.Evaluate[int](
			`document.querySelectorAll("#task-rows [data-testid=task-item]").length`))
		if rows != 1 {
			t.Errorf("%d rows after the refusal, want the 1 created before", rows)
		}
		if id := activeID(t, ctx); id != "new-task-title" {
			t.Errorf("focus on %q, want the title field", id)
		}
		watch.dismiss("status of 422") // the refusal this test asked for
	})

	t.Run("move it to done", func(t *testing.T) {
		do(t, ctx, "focus the task's link", chromedp.Focus(chromedp.CSS(
			"#task-rows [data-testid=task-link]")))
		if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatalf("follow the link with Enter: %v", err)
		}
		do(t, ctx, "wait for the task", chromedp.WaitVisible(chromedp.CSS(
			"[data-testid=task-summary]")))
		if got := run(t, ctx, "read the title", chromedp.Text(chromedp.CSS(
			"[data-testid=task-title]"))); got != title {
			t.Fatalf("task page title = %q", got)
		}

		do(t, ctx, "focus the first status", chromedp.Focus(chromedp.CSS("#task-status-open")))
		tabTo(t, ctx, "#task-status-done")
		do(t, ctx, "press Done with Enter", chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(chromedp.CSS(`#task-status-done[aria-pressed=true]`)))

		status := run(t, ctx, "read the status", chromedp.TextContent(chromedp.CSS(
			"[data-testid=task-summary] dd [data-testid=task-status]")))
		if !strings.Contains(status, "Done") {
			t.Errorf("status shown = %q, want Done", status)
		}
		notice := run(t, ctx, "read the notice", chromedp.Text(chromedp.CSS(
			"[data-testid=task-notice]")))
		if !strings.Contains(notice, "now Done") {
			t.Errorf("notice = %q", notice)
		}
		if id := activeID(t, ctx); id != "task-status-done" {
			t.Errorf("focus on %q after the change, want it kept on the Done button", id)
		}
		saveScreenshot(t, ctx, "task-done.png")
	})

	t.Run("the list shows it done and filters live", func(t *testing.T) {
		do(t, ctx, "open the tasks", chromedp.Navigate(portal.URL+"/o/acme/tasks"),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=task-rows]")))
		done := run(t, ctx, "read the row", chromedp.TextContent(chromedp.CSS(
			`[data-testid=task-item][data-status=done]`)))
		if !strings.Contains(done, title) || !strings.Contains(done, "Done") {
			t.Errorf("done row = %q", done)
		}

		// Typing a letter in a select picks the first option that starts with it,
		// as a keyboard user would; the change sends the filter.
		do(t, ctx, "choose Done in the status filter",
			chromedp.Focus(chromedp.CSS("#filter-status")), chromedp.KeyEvent("d"))
		run(t, ctx, "wait for the filter in the URL", chromedp.Poll[bool](
			`location.search.includes("status=done") &&
				document.querySelectorAll("[data-testid=task-item]").length === 1`))
		loc, err := url.Parse(run(t, ctx, "read the location", chromedp.Location()))
		if err != nil {
			t.Fatal(err)
		}
		if loc.Path != "/o/acme/tasks" || loc.Query().Get("status") != "done" {
			t.Errorf("location = %s, want the filter in the URL", loc.RequestURI())
		}
		statuses := run(t, ctx, "read the statuses", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("[data-testid=task-item]")]
				.map(e => e.dataset.status)`))
		if len(statuses) != 1 || statuses[0] != "done" {
			t.Errorf("rows after filtering: %v, want the one done task", statuses)
		}
	})
}
