package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/jusb/portal/db"
)

// globalOrgs lists the organization column of a page of the global log.
func globalOrgs(t testing.TB, body string) []string {
	t.Helper()
	out := []string{}
	parseHTML(t, body).Find("[data-testid=activity-org-name]").Each(
		func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
	return out
}

// TestGlobalActivityFilters applies the workspace log's filters and the organization
// filter to the log across organizations.
func TestGlobalActivityFilters(t *testing.T) {
	env := newTestEnv(t, Config{})
	staff := env.signedIn(staffEmail)
	seedActivityLog(t, env)
	f := env.fix

	tests := []struct {
		name      string
		query     url.Values
		summaries []string
	}{
		{"everything, newest first", nil, []string{"Quarterly review", "unknown address",
			"Acme", "old_logo.png", "globex-plan.pdf", "Budget 2027 draft",
			"Globex budget secret", "invoice-100%.pdf", "Budget 2027 draft"}},
		{"one organization", url.Values{"org": {f.Globex.ID.String()}},
			[]string{"globex-plan.pdf", "Globex budget secret"}},
		{"text across organizations", url.Values{"q": {"budget"}},
			[]string{"Budget 2027 draft", "Globex budget secret", "Budget 2027 draft"}},
		{"text and organization", url.Values{"q": {"budget"},
			"org": {f.Acme.ID.String()}}, []string{"Budget 2027 draft", "Budget 2027 draft"}},
		{"action", url.Values{"action": {"file.uploaded"}},
			[]string{"globex-plan.pdf", "invoice-100%.pdf"}},
		{"target type", url.Values{"target": {"organization"}}, []string{"Acme"}},
		{"staff actor, no organization", url.Values{"actor": {f.Admin.ID.String()}},
			[]string{"Acme"}},
		{"member with their organization", url.Values{"actor": {f.Carol.ID.String()},
			"org": {f.Globex.ID.String()}}, []string{"globex-plan.pdf",
			"Globex budget secret"}},
		{"date range", url.Values{"from": {"2026-11-21"}, "to": {"2026-11-21"}},
			[]string{"globex-plan.pdf", "Budget 2027 draft"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := staff.get(withQuery("/admin/activity", tt.query))
			if got.StatusCode != http.StatusOK {
				t.Fatalf("status %d", got.StatusCode)
			}
			if diff := cmp.Diff(tt.summaries, activitySummaries(t, got.body)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("the organization column", func(t *testing.T) {
		got := staff.get("/admin/activity?target=file")
		want := []string{"Acme", "Globex", "Acme"}
		if diff := cmp.Diff(want, globalOrgs(t, got.body)); diff != "" {
			t.Errorf("organizations (-want +got):\n%s", diff)
		}
	})

	t.Run("a fragment swaps the people of the organization in", func(t *testing.T) {
		got := staff.get("/admin/activity?org="+f.Acme.ID.String(), htmx...)
		sel := parseHTML(t, got.body).Find("select#activity-actor[hx-swap-oob]")
		if sel.Length() != 1 || !strings.Contains(sel.Text(), "Bob Brown") ||
			strings.Contains(sel.Text(), "Carol Chen") {
			t.Errorf("actor select in the fragment: %q", sel.Text())
		}
		if push := got.Header.Get("HX-Push-Url"); push !=
			"/admin/activity?org="+f.Acme.ID.String() {
			t.Errorf("HX-Push-Url = %q", push)
		}
	})
}

// TestGlobalActivityBadFilter refuses what the workspace log refuses, and an
// organization that does not exist or a member without their organization.
func TestGlobalActivityBadFilter(t *testing.T) {
	env := newTestEnv(t, Config{})
	staff := env.signedIn(staffEmail)
	seedActivityLog(t, env)

	tests := []struct {
		name  string
		query url.Values
		field string
	}{
		{"organization not an ID", url.Values{"org": {"acme"}}, "org"},
		{"organization that does not exist",
			url.Values{"org": {"00000000-0000-0000-0000-000000000001"}}, "org"},
		{"member without their organization",
			url.Values{"actor": {env.fix.Bob.ID.String()}}, "actor"},
		{"member of another organization", url.Values{"actor": {env.fix.Bob.ID.String()},
			"org": {env.fix.Globex.ID.String()}}, "actor"},
		{"bad action", url.Values{"action": {"DROP TABLE"}}, "action"},
		{"bad date", url.Values{"from": {"yesterday"}}, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := withQuery("/admin/activity", tt.query)
			got := staff.get(path)
			if got.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", got.StatusCode)
			}
			doc := parseHTML(t, got.body)
			if strings.TrimSpace(doc.Find("[data-testid=activity-error-"+tt.field+"]").
				Text()) == "" {
				t.Errorf("no message beside %s", tt.field)
			}
			if n := doc.Find("[data-testid=activity-row]").Length(); n != 0 {
				t.Errorf("%d entries shown", n)
			}
			csv := staff.get(strings.Replace(path, "/activity", "/activity.csv", 1))
			if csv.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("export: status %d, want 422", csv.StatusCode)
			}
		})
	}
}

// TestGlobalActivityExport checks that the CSV holds exactly the entries the filter
// shows on all its pages, with their organization.
func TestGlobalActivityExport(t *testing.T) {
	env := newTestEnv(t, Config{})
	staff := env.signedIn(staffEmail)
	clearActivity(t, env)
	f := env.fix
	var entries []activityEntry
	for i := range 60 {
		org, actor := f.Acme.ID, &f.Alice.ID
		if i%3 == 0 {
			org, actor = f.Globex.ID, &f.Carol.ID
		}
		action := "task.created"
		if i%4 == 0 {
			action = "file.uploaded"
		}
		entries = append(entries, activityEntry{org, actor, action, "task",
			"entry " + strings.Repeat("x", i%5), activityDay.AddDate(0, 0, i/10)})
	}
	addActivityEntries(t, env, entries...)

	for _, filter := range []url.Values{nil, {"action": {"task.created"}},
		{"org": {f.Acme.ID.String()}, "q": {"entry"}}} {
		var want [][]string
		rows, err := env.staffConn().Query(context.Background(), `SELECT a.id::text,
			o.slug FROM activity a JOIN organization o ON o.id = a.org_id
			WHERE ($1 = '' OR a.action = $1) AND ($2 = '' OR a.org_id::text = $2)
			ORDER BY a.created_at DESC, a.id DESC`, filter.Get("action"), filter.Get("org"))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, slug string
			if err := rows.Scan(&id, &slug); err != nil {
				t.Fatal(err)
			}
			want = append(want, []string{id, slug})
		}
		rows.Close()

		got := staff.get(withQuery("/admin/activity.csv", filter))
		if got.StatusCode != http.StatusOK {
			t.Fatalf("%v: status %d", filter, got.StatusCode)
		}
		records := readActivityCSV(t, got.body)
		if diff := cmp.Diff(append(slicesClip(exportHeader), "organization"),
			records[0]); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
		var ids [][]string
		for _, r := range records[1:] {
			ids = append(ids, []string{r[0], r[8]})
		}
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("%v: rows (-want +got):\n%s", filter, diff)
		}
		if pages := walkGlobalPages(t, staff, filter); !cmp.Equal(pages, len(want)) {
			t.Errorf("%v: the pages show %d entries, the export %d", filter, pages,
				len(want))
		}
	}
}

func slicesClip(s []string) []string { return s[:len(s):len(s)] }

// walkGlobalPages follows "Older entries" from the first page and counts the entries.
func walkGlobalPages(t testing.TB, c *testClient, filter url.Values) int {
	t.Helper()
	n := 0
	path := withQuery("/admin/activity", filter)
	for range 10 {
		got := c.get(path)
		doc := parseHTML(t, got.body)
		n += doc.Find("[data-testid=activity-row]").Length()
		older, ok := doc.Find("[data-testid=activity-older]").Attr("href")
		if !ok {
			return n
		}
		path = older
	}
	t.Fatal("more than 10 pages")
	return n
}

// TestStaffVisitLogged opens Acme's workspace as staff several times: one
// "staff.visited" entry per staff session and organization, none for members.
func TestStaffVisitLogged(t *testing.T) {
	env := newTestEnv(t, Config{})
	clearActivity(t, env)
	staff := env.signedIn(staffEmail)
	alice := env.signedIn("alice@acme.example")

	for _, path := range []string{"/o/acme", "/o/acme/tasks", "/o/acme/activity",
		"/o/globex", "/o/acme"} {
		if got := staff.get(path); got.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, got.StatusCode)
		}
	}
	alice.get("/o/acme")
	env.signedIn(staffEmail).get("/o/acme/files") // a second staff session

	visits := func(org db.OrgID) int {
		var n int
		err := env.staffConn().QueryRow(context.Background(), `SELECT count(*)
			FROM activity WHERE org_id = $1 AND action = 'staff.visited'
			AND actor_id = $2`, org, env.fix.Admin.ID).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := visits(env.fix.Acme.ID); n != 2 {
		t.Errorf("Acme: %d visits logged, want 2 (one per staff session)", n)
	}
	if n := visits(env.fix.Globex.ID); n != 1 {
		t.Errorf("Globex: %d visits logged, want 1", n)
	}
	if n := strings.Count(env.logs.String(), `"msg":"staff visited organization"`); n != 3 {
		t.Errorf("%d visits in the structured log, want 3", n)
	}
}

// TestGlobalActivityCommonWord pages through a word common in one organization and
// not in the other, across organizations and within one: the newest pages come from
// the word's listing, the older ones past Acme's cut from the log, and every entry
// with the word shows once, in order.
func TestGlobalActivityCommonWord(t *testing.T) {
	env := newTestEnv(t, Config{})
	f := env.fix
	ctx := context.Background()
	for i := range 6 {
		env.exec(t, `INSERT INTO activity (org_id, actor_id, action, target_type, summary)
			SELECT $1, $2, 'task.updated', 'task', 'Routine ' || g
			FROM generate_series($3::int, $3::int + 999) g`, f.Acme.ID, f.Bob.ID, i*1000)
		env.exec(t, `INSERT INTO activity (org_id, actor_id, action, target_type, summary)
			VALUES ($1, $2, 'task.updated', 'task', 'Routine at Globex ' || $3::int)`,
			f.Globex.ID, f.Carol.ID, i)
	}

	for _, org := range []*db.OrgID{nil, &f.Acme.ID} {
		rows, err := env.staffConn().Query(ctx, `SELECT summary FROM activity
			WHERE summary LIKE 'Routine %' AND ($1::uuid IS NULL OR org_id = $1)
			ORDER BY created_at DESC, id DESC`, org)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			want = append(want, s)
		}
		rows.Close()

		var got []string
		q := db.GlobalActivityQuery{Org: org, ActivityQuery: db.ActivityQuery{
			Filter: db.ActivityFilter{Text: "routine"}, Rows: 400}}
		for pages := 0; ; pages++ {
			log, err := env.store.LoadGlobalActivity(ctx, q)
			if err != nil || pages > 20 {
				t.Fatalf("page %d: %v", pages, err)
			}
			for _, e := range log.Entries {
				got = append(got, e.Summary)
			}
			if log.Older == nil {
				break
			}
			q.Before = log.Older
		}
		if len(want) < 6000 || !cmp.Equal(want, got) {
			t.Errorf("org %v: %d entries paged, want %d (first differences: %v)", org,
				len(got), len(want), cmp.Diff(want[:min(len(want), 3)],
					got[:min(len(got), 3)]))
		}
	}
}
