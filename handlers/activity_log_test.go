package handlers

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
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
		activityEntry{f.Acme.ID, bob, "task.status_changed", "task", "Budget 2027 draft", day(1, 0)},
		activityEntry{f.Acme.ID, alice, "file.deleted", "file", "old_logo.png", day(2, 0)},
		activityEntry{f.Acme.ID, admin, "organization.opened", "organization", "Acme", day(3, 0)},
		activityEntry{f.Acme.ID, nil, "user.sign_in_failed", "user", "unknown address", day(3, 1)},
		activityEntry{f.Acme.ID, alice, "task.created", "task", "Quarterly review", day(4, 0)},
		activityEntry{f.Globex.ID, carol, "task.created", "task", "Globex budget secret", day(0, 2)},
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

// TestActivityLogFilters applies each filter, alone and combined, through the URL as a
// shared link would, and checks which entries show, newest first.
func TestActivityLogFilters(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	seedActivityLog(t, env)
	f := env.fix

	tests := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"no filter", nil, []string{"Quarterly review", "unknown address", "Acme",
			"old_logo.png", "Budget 2027 draft", "invoice-100%.pdf", "Budget 2027 draft"}},
		{"actor", url.Values{"actor": {f.Bob.ID.String()}},
			[]string{"Budget 2027 draft", "invoice-100%.pdf"}},
		{"staff actor", url.Values{"actor": {f.Admin.ID.String()}}, []string{"Acme"}},
		{"action", url.Values{"action": {"task.created"}},
			[]string{"Quarterly review", "Budget 2027 draft"}},
		{"target type", url.Values{"target": {"file"}},
			[]string{"old_logo.png", "invoice-100%.pdf"}},
		{"from", url.Values{"from": {"2026-11-23"}},
			[]string{"Quarterly review", "unknown address", "Acme"}},
		{"to includes the whole day", url.Values{"to": {"2026-11-20"}},
			[]string{"invoice-100%.pdf", "Budget 2027 draft"}},
		{"one day", url.Values{"from": {"2026-11-21"}, "to": {"2026-11-21"}},
			[]string{"Budget 2027 draft"}},
		{"text in the summary, any case", url.Values{"q": {"BUDGET"}},
			[]string{"Budget 2027 draft", "Budget 2027 draft"}},
		{"text in the actor's name", url.Values{"q": {"brown"}},
			[]string{"Budget 2027 draft", "invoice-100%.pdf"}},
		{"text in a staff name", url.Values{"q": {"jess"}}, []string{"Acme"}},
		{"punctuation is not searched for", url.Values{"q": {"100%"}},
			[]string{"invoice-100%.pdf"}},
		{"a word after an underscore", url.Values{"q": {"logo"}}, []string{"old_logo.png"}},
		{"a word's start, not its middle", url.Values{"q": {"udget"}}, []string{}},
		{"words in any order", url.Values{"q": {"draft 20 bud"}},
			[]string{"Budget 2027 draft", "Budget 2027 draft"}},
		{"words from the summary and the name", url.Values{"q": {"review Alice"}},
			[]string{"Quarterly review"}},
		{"every word must match", url.Values{"q": {"review bob"}}, []string{}},
		{"combined", url.Values{"actor": {f.Alice.ID.String()}, "action": {"task.created"},
			"q": {"quarter"}}, []string{"Quarterly review"}},
		{"an action that never happened", url.Values{"action": {"thread.created"}},
			[]string{}},
		{"one character is not searched yet", url.Values{"q": {"z"}}, []string{"Quarterly review",
			"unknown address", "Acme", "old_logo.png", "Budget 2027 draft",
			"invoice-100%.pdf", "Budget 2027 draft"}},
		{"unknown parameters are ignored", url.Values{"org_id": {f.Globex.ID.String()},
			"target": {"file"}}, []string{"old_logo.png", "invoice-100%.pdf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := withQuery("/o/acme/activity", tt.query)
			for _, mode := range []struct {
				name   string
				header []string
			}{{"page", nil}, {"fragment", hxRequest}} {
				got := alice.get(path, mode.header...)
				if got.StatusCode != http.StatusOK {
					t.Fatalf("%s: status %d, body %s", mode.name, got.StatusCode, got.body)
				}
				if diff := cmp.Diff(tt.want, activitySummaries(t, got.body)); diff != "" {
					t.Errorf("%s: entries (-want +got):\n%s", mode.name, diff)
				}
			}
		})
	}
}

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

// TestActivityLogBadFilter sends filters that cannot be applied: each gets 422 with
// the problem beside its field (in the page, and swapped in for HTMX), no entries, and
// never a 500 or another organization's rows.
func TestActivityLogBadFilter(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	seedActivityLog(t, env)

	tests := []struct {
		name, field, query, problem string
	}{
		{"action not of the log's form", "action", "action=<script>", "Choose an action"},
		{"target type not of the log's form", "target", "target=Task%3BDROP",
			"Choose a type"},
		{"actor not an ID", "actor", "actor=bob", "Choose a person"},
		{"actor of another organization", "actor", "actor=" + env.fix.Carol.ID.String(),
			"Choose a person"},
		{"actor that exists nowhere", "actor", "actor=" + uuid.NewString(),
			"Choose a person"},
		{"malformed date", "from", "from=2026-13-01", "year-month-day"},
		{"date in another format", "to", "to=03/12/2026", "year-month-day"},
		{"range backwards", "to", "from=2026-11-25&to=2026-11-20", "before the start"},
		{"text with a NUL", "q", "q=" + url.QueryEscape("bud\x00get"), "cannot be searched"},
		{"text not UTF-8", "q", "q=%ff%fe%fd", "cannot be searched"},
		{"text too long", "q", "q=" + strings.Repeat("a", 201), "at most 200"},
		{"cursor that does not parse", "before", "before=yesterday", "not valid"},
		{"cursor without an id", "before", "before=1764547200000000_", "not valid"},
		{"cursor out of range", "before", "before=99999999999999999999_5", "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/o/acme/activity?" + tt.query
			for _, mode := range []struct {
				name   string
				header []string
			}{{"page", nil}, {"fragment", hxRequest}} {
				got := alice.get(path, mode.header...)
				if got.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("%s: status %d, want 422", mode.name, got.StatusCode)
				}
				doc := activityHTML(t, got.body)
				msg := doc.Find("#activity-error-" + tt.field).Text()
				if tt.field == "before" {
					msg = doc.Find("[data-testid=activity-invalid]").Text()
				}
				if !strings.Contains(msg, tt.problem) {
					t.Errorf("%s: message for %s = %q, want it to say %q", mode.name,
						tt.field, msg, tt.problem)
				}
				if n := doc.Find("[data-testid=activity-row]").Length(); n != 0 {
					t.Errorf("%s: %d entries shown for a filter that is wrong", mode.name, n)
				}
				if strings.Contains(got.body, "Globex") {
					t.Errorf("%s: Globex shows in Acme's log", mode.name)
				}
				if mode.header != nil && got.Header.Get("HX-Push-Url") != "false" {
					t.Errorf("fragment: HX-Push-Url = %q, want the address left alone",
						got.Header.Get("HX-Push-Url"))
				}
			}
		})
	}
}

// TestActivityLogIsolation tries to reach Acme's entries from Globex through every
// filter: a Globex member sees only Globex's entries, whatever they ask for.
func TestActivityLogIsolation(t *testing.T) {
	env := newTestEnv(t, Config{})
	carol := env.signedIn("carol@globex.example")
	seedActivityLog(t, env)
	f := env.fix

	tests := []struct {
		name, path string
		status     int
		want       []string
	}{
		{"own log", "/o/globex/activity", 200,
			[]string{"globex-plan.pdf", "Globex budget secret"}},
		{"an Acme member as actor", "/o/globex/activity?actor=" + f.Alice.ID.String(), 422,
			[]string{}},
		{"text of an Acme entry", "/o/globex/activity?q=quarterly", 200, []string{}},
		{"an Acme member's name", "/o/globex/activity?q=anders", 200, []string{}},
		{"an action only Acme has", "/o/globex/activity?action=file.deleted", 200,
			[]string{}},
		{"Acme's slug", "/o/acme/activity?q=budget", 404, []string{}},
		{"Acme's export", "/o/acme/activity.csv", 404, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := carol.get(tt.path)
			if got.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", got.StatusCode, tt.status)
			}
			if diff := cmp.Diff(tt.want, activitySummaries(t, got.body)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			for _, acme := range []string{"Quarterly", "old_logo", "Alice Anders",
				"Bob Brown", f.Alice.ID.String()} {
				if strings.Contains(got.body, acme) {
					t.Errorf("the answer shows Acme's %q", acme)
				}
			}
		})
	}

	// Globex's own export does not hold Acme's rows either.
	export := carol.get("/o/globex/activity.csv?q=budget")
	rows := readActivityCSV(t, export.body)
	if len(rows) != 2 || rows[1][7] != "Globex budget secret" {
		t.Errorf("Globex's export = %q, want its one budget entry", rows)
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

// readActivityCSV parses an export.
func readActivityCSV(t testing.TB, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("parse the export: %v\n%s", err, body)
	}
	return rows
}

// TestActivityExport checks that the CSV holds exactly the entries the filter shows on
// all its pages, with a header, escaped, safe to open in a spreadsheet, and that only
// client_admins and staff may export.
func TestActivityExport(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	seedActivityLog(t, env)
	f := env.fix
	tricky := []string{`=HYPERLINK("http://evil.example")`, "+1", "-2+3", "@SUM(A1)",
		"\tTab", "\rReturn", "comma, \"quoted\"\nand a new line", "plain"}
	for i, s := range tricky {
		addActivityEntries(t, env, activityEntry{f.Acme.ID, &f.Bob.ID, "message.posted",
			"thread", s, activityDay.AddDate(0, 1, 0).Add(time.Duration(i) * time.Minute)})
	}
	// More entries than one page of the log holds, to see the export take them all.
	var many []activityEntry
	for i := range activityPageRows + 10 {
		many = append(many, activityEntry{f.Acme.ID, &f.Alice.ID, "task.updated", "task",
			fmt.Sprintf("update %02d", i), activityDay.AddDate(0, 2, 0).Add(time.Duration(i))})
	}
	addActivityEntries(t, env, many...)

	t.Run("headers", func(t *testing.T) {
		got := alice.get("/o/acme/activity.csv")
		if got.StatusCode != http.StatusOK {
			t.Fatalf("status %d", got.StatusCode)
		}
		if ct := got.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		want := `attachment; filename="activity-acme-` + time.Now().UTC().Format("2006-01-02") +
			`.csv"`
		if cd := got.Header.Get("Content-Disposition"); cd != want {
			t.Errorf("Content-Disposition = %q, want %q", cd, want)
		}
		rows := readActivityCSV(t, got.body)
		if diff := cmp.Diff(exportHeader, rows[0]); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
	})

	t.Run("exactly the filtered entries, all pages", func(t *testing.T) {
		for _, query := range []string{"", "action=task.updated", "q=budget",
			"actor=" + f.Bob.ID.String() + "&to=2026-12-31", "target=thread&q=quoted",
			"q=zzzzzz"} {
			shown := []string{}
			for path := "/o/acme/activity?" + query; path != ""; {
				resp := alice.get(path)
				shown = append(shown, activitySummaries(t, resp.body)...)
				path = activityHTML(t, resp.body).Find("[data-testid=activity-older]").
					AttrOr("href", "")
			}
			rows := readActivityCSV(t, alice.get("/o/acme/activity.csv?"+query).body)
			exported := []string{}
			for _, r := range rows[1:] {
				// HTML reads a carriage return as a line feed.
				exported = append(exported, strings.ReplaceAll(strings.TrimPrefix(r[7], "'"),
					"\r", "\n"))
			}
			if diff := cmp.Diff(shown, exported); diff != "" {
				t.Errorf("?%s: exported summaries (-shown +exported):\n%s", query, diff)
			}
		}
	})

	t.Run("cells are escaped and no formula", func(t *testing.T) {
		rows := readActivityCSV(t, alice.get("/o/acme/activity.csv?action=message.posted").body)
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[7])
			if r[2] != "Bob Brown" || r[3] != f.Bob.ID.String() || r[4] != "message.posted" {
				t.Errorf("row %q: wrong actor or action", r)
			}
			if _, err := time.Parse(time.RFC3339, r[1]); err != nil {
				t.Errorf("time %q: %v", r[1], err)
			}
		}
		want := []string{"plain", "comma, \"quoted\"\nand a new line", "'\rReturn", "'\tTab",
			"'@SUM(A1)", "'-2+3", "'+1", `'=HYPERLINK("http://evil.example")`}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("summaries (-want +got):\n%s", diff)
		}
	})

	t.Run("who may export", func(t *testing.T) {
		tests := []struct {
			name, email string
			status      int
			link        bool
		}{
			{"client_admin", "alice@acme.example", 200, true},
			{"client", "bob@acme.example", 403, false},
			{"staff", "admin@jusb.example", 200, true},
		}
		for _, tt := range tests {
			c := env.signedIn(tt.email)
			if got := c.get("/o/acme/activity.csv"); got.StatusCode != tt.status {
				t.Errorf("%s: export status %d, want %d", tt.name, got.StatusCode, tt.status)
			}
			page := activityHTML(t, c.get("/o/acme/activity?q=budget").body)
			link := page.Find("[data-testid=activity-export]")
			if (link.Length() == 1) != tt.link {
				t.Errorf("%s: export link shown = %v, want %v", tt.name, link.Length() == 1,
					tt.link)
			}
			if tt.link && link.AttrOr("href", "") != "/o/acme/activity.csv?q=budget" {
				t.Errorf("%s: export link %q does not carry the filter", tt.name,
					link.AttrOr("href", ""))
			}
		}
	})

	t.Run("a bad filter", func(t *testing.T) {
		for _, query := range []string{"from=nope", "actor=" + f.Carol.ID.String(),
			"q=%00"} {
			got := alice.get("/o/acme/activity.csv?" + query)
			if got.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("?%s: status %d, want 422", query, got.StatusCode)
			}
			if strings.Contains(got.body, "Globex") {
				t.Errorf("?%s: the answer shows Globex's entries", query)
			}
		}
	})
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
		if rows := activityHTML(t, got.body).Find("[data-testid=activity-row]").Length(); rows != n {
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
