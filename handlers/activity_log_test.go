package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

// activityEntry is an entry the tests write behind the portal's back.
type activityEntry struct {
	org     db.OrgID
	actor   *uuid.UUID
	action  string
	target  string
	summary string
	at      time.Time
}

// addActivityEntries writes entries through the staff connection, so that the
// schema's triggers (actor check, actor name) run as they do for the portal.
func addActivityEntries(t testing.TB, env *testEnv, entries ...activityEntry) []int64 {
	t.Helper()
	conn := env.staffConn()
	ids := make([]int64, 0, len(entries))
	for _, e := range entries {
		var id int64
		err := conn.QueryRow(context.Background(), `INSERT INTO activity
			(org_id, actor_id, action, target_type, summary, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			e.org, e.actor, e.action, e.target, e.summary, e.at).Scan(&id)
		if err != nil {
			t.Fatalf("add activity %q: %v", e.summary, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// clearActivity removes every entry, the sign-ins of the test clients included, so
// that a test sees only its own.
func clearActivity(t testing.TB, env *testEnv) {
	t.Helper()
	env.exec(t, `DELETE FROM activity`)
}

// activityOf returns org's activity entries of an action, as "summary" strings.
func (e *testEnv) activityOf(t testing.TB, org db.OrgID, action string) []string {
	t.Helper()
	rows, err := e.staffConn().Query(context.Background(), `SELECT summary FROM activity
		WHERE org_id = $1 AND action = $2 ORDER BY id`, org, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

var activityDay = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// seedActivityLog gives Acme and Globex a small log with something for each filter.
// Summaries are unique, so that a page can be read as the list of its summaries.
func seedActivityLog(t testing.TB, env *testEnv) {
	t.Helper()
	f := env.fix
	alice, bob, admin, carol := &f.Alice.ID, &f.Bob.ID, &f.Admin.ID, &f.Carol.ID
	day := func(d, h int) time.Time {
		return activityDay.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)
	}
	clearActivity(t, env)
	addActivityEntries(t, env,
		activityEntry{f.Acme.ID, alice, "task.created", "task", "Budget 2027 draft", day(0, 0)},
		activityEntry{f.Acme.ID, bob, "file.uploaded", "file", "invoice-100%.pdf", day(0, 1)},
		activityEntry{f.Acme.ID, bob, "task.status_changed", "task", "Budget 2027 draft",
			day(1, 0)},
		activityEntry{f.Acme.ID, alice, "file.deleted", "file", "old_logo.png", day(2, 0)},
		activityEntry{f.Acme.ID, admin, "organization.opened", "organization", "Acme", day(3, 0)},
		activityEntry{f.Acme.ID, nil, "user.sign_in_failed", "user", "unknown address", day(3, 1)},
		activityEntry{f.Acme.ID, alice, "task.created", "task", "Quarterly review", day(4, 0)},
		activityEntry{f.Globex.ID, carol, "task.created", "task", "Globex budget secret",
			day(0, 2)},
		activityEntry{f.Globex.ID, carol, "file.uploaded", "file", "globex-plan.pdf", day(1, 2)},
	)
}

// activityHTML is a response's document.
func activityHTML(t testing.TB, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// activitySummaries lists the summaries of the entries a page shows, in order.
func activitySummaries(t testing.TB, body string) []string {
	t.Helper()
	out := []string{}
	activityHTML(t, body).Find("[data-testid=activity-summary]").Each(
		func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
	return out
}

var hxRequest = []string{"HX-Request", "true"}

// TestActivityLogPageAndFragment checks that a link with a filter renders the whole
// page with the form filled in, and that an HTMX request gets the entries alone, the
// field errors to swap in, and the address to show.
func TestActivityLogPageAndFragment(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	seedActivityLog(t, env)
	path := "/o/acme/activity?q=budget&actor=&action=task.status_changed&from=2026-11-01"

	page := alice.get(path)
	doc := activityHTML(t, page.body)
	if page.StatusCode != http.StatusOK || doc.Find("html").Length() != 1 {
		t.Fatalf("page: status %d, want a whole page", page.StatusCode)
	}
	form := map[string]string{
		"q":      doc.Find("#activity-q").AttrOr("value", ""),
		"from":   doc.Find("#activity-from").AttrOr("value", ""),
		"action": doc.Find("#activity-action option[selected]").AttrOr("value", ""),
		"actor":  doc.Find("#activity-actor option[selected]").AttrOr("value", ""),
	}
	wantForm := map[string]string{"q": "budget", "from": "2026-11-01",
		"action": "task.status_changed", "actor": ""}
	if diff := cmp.Diff(wantForm, form); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}
	if got := activitySummaries(t, page.body); !cmp.Equal(got, []string{"Budget 2027 draft"}) {
		t.Errorf("page entries = %q", got)
	}
	if n := doc.Find("#activity-action option").Length(); n < 5 {
		t.Errorf("the action select offers %d options, want the log's actions", n)
	}

	frag := alice.get(path, hxRequest...)
	fdoc := activityHTML(t, frag.body)
	if frag.StatusCode != http.StatusOK || strings.Contains(frag.body, "<html") {
		t.Fatalf("fragment: status %d, want the entries alone", frag.StatusCode)
	}
	if fdoc.Find("#activity-results").Length() != 1 ||
		fdoc.Find("[hx-swap-oob]#activity-error-q").Length() != 1 {
		t.Error("fragment lacks the results or the field errors to swap")
	}
	want := "/o/acme/activity?action=task.status_changed&from=2026-11-01&q=budget"
	if got := frag.Header.Get("HX-Push-Url"); got != want {
		t.Errorf("HX-Push-Url = %q, want %q (the filter without its empty fields)", got, want)
	}
	if got := frag.Header.Get("Vary"); !strings.Contains(got, "HX-Request") {
		t.Errorf("Vary = %q", got)
	}
}

// TestActivityLogKeyset follows "Older" from the newest page to the last, over
// entries that share their timestamps: every entry shows once, in order.
func TestActivityLogKeyset(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	clearActivity(t, env)
	const total = 2*activityPageRows + 17
	var entries []activityEntry
	for i := range total {
		// Groups of seven entries share a moment, and a page boundary falls inside one.
		at := activityDay.Add(time.Duration(i/7) * time.Second)
		entries = append(entries, activityEntry{env.fix.Acme.ID, &env.fix.Bob.ID,
			"task.updated", "task", fmt.Sprintf("entry %03d", i), at})
	}
	addActivityEntries(t, env, entries...)
	var want []string
	for i := total - 1; i >= 0; i-- {
		// Newest first: later moments first, and within a moment the later id first.
		want = append(want, fmt.Sprintf("entry %03d", i))
	}

	for _, mode := range []struct {
		name   string
		header []string
	}{{"links", nil}, {"htmx", hxRequest}} {
		t.Run(mode.name, func(t *testing.T) {
			var got []string
			path, pages := "/o/acme/activity?action=task.updated", 0
			for path != "" {
				resp := alice.get(path, mode.header...)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d", path, resp.StatusCode)
				}
				page := activitySummaries(t, resp.body)
				if len(page) > activityPageRows {
					t.Fatalf("a page of %d entries", len(page))
				}
				got = append(got, page...)
				pages++
				doc := activityHTML(t, resp.body)
				path = doc.Find("[data-testid=activity-older]").AttrOr("href", "")
				if pages > 1 && doc.Find("[data-testid=activity-newest]").Length() != 1 {
					t.Errorf("page %d has no link back to the newest entries", pages)
				}
				if path != "" && !strings.Contains(path, "action=task.updated") {
					t.Errorf("the Older link %q drops the filter", path)
				}
			}
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entries over all pages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestActivityActorName checks the column the free text searches: the schema fills
// the actor's name on its own, from whoever the entry names.
func TestActivityActorName(t *testing.T) {
	env := newTestEnv(t, Config{})
	f := env.fix
	err := env.store.InOrg(context.Background(), f.Acme.ID, func(q *db.Queries) error {
		return recordActivity(context.Background(), q, f.Acme.ID, f.Bob.ID,
			change{Action: "task.created", TargetType: "task", Summary: "Named"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var name string
	err = env.staffConn().QueryRow(context.Background(),
		`SELECT actor_name FROM activity WHERE summary = 'Named'`).Scan(&name)
	if err != nil || name != "Bob Brown" {
		t.Errorf("actor_name = %q (%v), want Bob Brown", name, err)
	}
}

// TestActivityLogBudget counts the round trips of the page and of its fragment, the
// session's included, with 1 and with 50 entries shown.
func TestActivityLogBudget(t *testing.T) {
	env := newTestEnv(t, Config{})
	grow := func(t testing.TB, env *testEnv, n int) {
		clearActivity(t, env)
		addActivity(t, env, n)
	}
	for _, path := range []string{"/o/acme/activity",
		"/o/acme/activity?q=brown&action=user.signed_in&actor=" + env.fix.Bob.ID.String() +
			"&from=2000-01-01&to=2100-01-01"} {
		checkBudget(t, env, "alice@acme.example", path, 2, grow)
		checkActivityFragmentBudget(t, env, path, 2, grow)
	}
}

// checkActivityFragmentBudget is checkBudget for the HTMX fragment of path.
func checkActivityFragmentBudget(t *testing.T, env *testEnv, path string, budget int64,
	grow func(t testing.TB, env *testEnv, n int)) {
	t.Helper()
	c := env.signedIn("alice@acme.example")
	count := func(n int) int64 {
		grow(t, env, n)
		c.get(path, hxRequest...)
		env.counter.Reset()
		got := c.get(path, hxRequest...)
		if got.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, got.StatusCode)
		}
		rows := activityHTML(t, got.body).Find("[data-testid=activity-row]").Length()
		if rows != n {
			t.Fatalf("GET %s: %d rows, want %d", path, rows, n)
		}
		return env.counter.Count()
	}
	one, fifty := count(1), count(50)
	t.Logf("%s (fragment): %d round trips", path, one)
	if one > budget {
		t.Errorf("GET %s (fragment): %d round trips, budget %d", path, one, budget)
	}
	if fifty != one {
		t.Errorf("GET %s (fragment): %d round trips with 1 entry, %d with 50", path, one,
			fifty)
	}
}
