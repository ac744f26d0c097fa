package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jusb/portal/db"
)

// TestActivitySearchWays checks that the ways a search can take give the same entries:
// through the word index (the one word's listing in page order, or every hit sorted),
// and reading the log newest first, which the search takes once a word is common and
// its listing was cut.
func TestActivitySearchWays(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	seedActivityLog(t, env)

	queries := []string{"budget", "BUD", "draft 2027", "brown", "review alice", "logo",
		"kestrel", "budget bob"}
	read := func(q string) []string {
		return activitySummaries(t, alice.get("/o/acme/activity?q="+url.QueryEscape(q)).body)
	}
	indexed := map[string][]string{}
	for _, q := range queries {
		indexed[q] = read(q)
	}
	// Every word becomes common, its listing cut after the newest entry: each search
	// now reads the log.
	env.exec(t, `INSERT INTO activity_common_term (org_id, term, listed_from_at,
		listed_from_id) SELECT DISTINCT org_id, term, 'infinity'::timestamptz, 0
		FROM activity_term`)
	for _, q := range queries {
		if diff := cmp.Diff(indexed[q], read(q)); diff != "" {
			t.Errorf("q=%s: reading the log (-indexed +read):\n%s", q, diff)
		}
	}
}

// TestActivityCommonWords checks the word index's upkeep: a new entry's words are
// listed, a word found in 5,000 entries becomes common and only its newest 5,000 stay
// listed, a search for it pages through all its entries, past where its listing was
// cut, and a deleted entry's words go.
func TestActivityCommonWords(t *testing.T) {
	env := newTestEnv(t, Config{})
	f := env.fix
	ctx := context.Background()
	conn := env.staffConn()
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	addActivityEntries(t, env, activityEntry{f.Acme.ID, &f.Bob.ID, "task.created", "task",
		"Ship the Widget", activityDay})
	got := count(`SELECT count(*) FROM activity_term t JOIN activity a ON a.id = t.activity_id
		WHERE a.summary = 'Ship the Widget' AND t.term IN ('ship', 'the', 'widget', 'bob',
		'brown') AND t.org_id = $1`, f.Acme.ID)
	if got != 5 {
		t.Errorf("the entry lists %d of its 5 words", got)
	}

	// A statement's entries are listed together; common words are known from the next.
	for i := range 6 {
		env.exec(t, `INSERT INTO activity (org_id, actor_id, action, target_type, summary)
			SELECT $1, $2, 'task.updated', 'task', 'Routine ' || g
			FROM generate_series($3::int, $3::int + 999) g`, f.Acme.ID, f.Bob.ID, i*1000)
	}
	if n := count(`SELECT count(*) FROM activity_common_term WHERE org_id = $1 AND
		term = 'routine'`, f.Acme.ID); n != 1 {
		t.Fatal("a word in 6,000 entries is not common")
	}
	if n := count(`SELECT count(*) FROM generate_series(1000, 5999) g (i)
		JOIN activity a ON a.summary = 'Routine ' || g.i
		JOIN activity_term t ON t.activity_id = a.id
		WHERE t.org_id = $1 AND t.term = 'routine'`, f.Acme.ID); n != 5000 {
		t.Errorf("the common word's newest 5,000 entries: %d listed", n)
	}
	if n := count(`SELECT count(*) FROM activity_term WHERE org_id = $1 AND
		term = 'routine'`, f.Acme.ID); n != 5000 {
		t.Errorf("the common word is listed %d times, want its newest 5,000", n)
	}

	// Pages of 400: twelve come from the listing, the rest read the log beyond its cut.
	seen := 0
	q := db.ActivityQuery{Filter: db.ActivityFilter{Text: "routine"}, Rows: 400}
	for pages := 0; ; pages++ {
		log, err := env.store.LoadActivityLog(ctx, f.Acme.ID, q)
		if err != nil || pages > 16 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, e := range log.Entries {
			if want := fmt.Sprintf("Routine %d", 5999-seen); e.Summary != want {
				t.Fatalf("entry %d is %q, want %q", seen, e.Summary, want)
			}
			seen++
		}
		if log.Older == nil {
			break
		}
		q.Before = log.Older
	}
	if seen != 6000 {
		t.Errorf("the search paged through %d entries, want 6,000", seen)
	}
	if n := count(`SELECT count(*) FROM activity_common_term WHERE org_id = $1`,
		f.Globex.ID); n != 0 {
		t.Errorf("Globex has %d common words from Acme's entries", n)
	}

	env.exec(t, `UPDATE activity SET summary = 'Ship the Gadget'
		WHERE summary = 'Ship the Widget'`)
	env.exec(t, `DELETE FROM activity WHERE summary LIKE 'Routine %'`)
	got = count(`SELECT count(*) FROM activity_term WHERE org_id = $1 AND
		term IN ('widget', 'routine')`, f.Acme.ID)
	if n := count(`SELECT count(*) FROM activity_term WHERE term = 'gadget'`); got != 0 || n != 1 {
		t.Errorf("after a change and deletions: %d listings of removed words, %d of the new",
			got, n)
	}
}

// TestActivitySearchStops reads the log through a search for frequent words with a
// small scan window: each page stops after the window, says so, and the next page
// goes on from the last entry read, so that every match shows once.
func TestActivitySearchStops(t *testing.T) {
	env := newTestEnv(t, Config{})
	clearActivity(t, env)
	f := env.fix
	var entries []activityEntry
	var want []string
	for i := range 45 {
		summary := fmt.Sprintf("routine %02d", i)
		if i%7 == 3 {
			summary = fmt.Sprintf("routine report %02d", i)
		}
		entries = append(entries, activityEntry{f.Acme.ID, &f.Bob.ID, "task.updated", "task",
			summary, activityDay.Add(time.Duration(i) * time.Minute)})
	}
	for i := 44; i >= 0; i-- {
		if i%7 == 3 {
			want = append(want, fmt.Sprintf("routine report %02d", i))
		}
	}
	addActivityEntries(t, env, entries...)
	env.exec(t, `INSERT INTO activity_common_term (org_id, term, listed_from_at,
		listed_from_id) VALUES ($1, 'routine', 'infinity', 0), ($1, 'report', 'infinity', 0)`,
		f.Acme.ID)

	var got []string
	stops := 0
	q := db.ActivityQuery{Filter: db.ActivityFilter{Text: "report routine"}, Rows: 4,
		ScanRows: 10}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the pages do not end")
		}
		log, err := env.store.LoadActivityLog(context.Background(), f.Acme.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range log.Entries {
			got = append(got, e.Summary)
		}
		if log.Stopped {
			stops++
			if len(log.Entries) >= 4 {
				t.Errorf("page %d stopped with a full page", pages)
			}
		}
		if log.Older == nil {
			break
		}
		q.Before = log.Older
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches over all pages (-want +got):\n%s", diff)
	}
	if stops < 3 {
		t.Errorf("%d pages stopped at the scan window, want most of the 5", stops)
	}
}

// TestActivitySearchStopsInListing searches for two words that are each in many
// entries and meet only in the oldest: the first page looks up the longer (and common)
// word's 500 newest entries, stops there and says so, and the next page finds the
// entries where they meet. With an action chosen, the page reads the log through the
// action's index instead, and finds them at once. The staff's view, across
// organizations or in one, takes the same way.
func TestActivitySearchStopsInListing(t *testing.T) {
	env := newTestEnv(t, Config{})
	clearActivity(t, env)
	f := env.fix
	env.exec(t, `INSERT INTO activity (org_id, actor_id, action, target_type, summary,
			created_at)
		SELECT $1, $2, 'task.updated', 'task',
			CASE WHEN g < 3 THEN 'Alpha beta ' || g WHEN g % 2 = 0 THEN 'Alpha ' || g
				ELSE 'Beta ' || g END,
			$3::timestamptz + g * interval '1 minute'
		FROM generate_series(0, 1202) g`, f.Acme.ID, f.Bob.ID, activityDay)
	want := []string{"Alpha beta 2", "Alpha beta 1", "Alpha beta 0"}

	// While alpha is not common, its 603 entries are looked up all at once.
	rare, err := env.store.LoadActivityLog(context.Background(), f.Acme.ID,
		db.ActivityQuery{Filter: db.ActivityFilter{Text: "alpha beta"}, Rows: 50})
	got := summaries(rare.Entries, func(e db.ListActivityRow) string { return e.Summary })
	if diff := cmp.Diff(want, got); err != nil || diff != "" || rare.Stopped {
		t.Fatalf("before alpha is common: %v, stopped %v (-want +got):\n%s", err,
			rare.Stopped, diff)
	}

	// Alpha is common, its listing whole so far (cut before its first entry).
	env.exec(t, `INSERT INTO activity_common_term (org_id, term, listed_from_at,
		listed_from_id) VALUES ($1, 'alpha', '-infinity', 0)`, f.Acme.ID)
	// The 500th newest of the 603 entries with alpha: g = 1202 - 2*499.
	stop := activityDay.Add(204 * time.Minute)

	loaders := map[string]func(db.ActivityQuery) ([]string, *db.ActivityCursor, bool){
		"workspace": func(q db.ActivityQuery) ([]string, *db.ActivityCursor, bool) {
			log, err := env.store.LoadActivityLog(context.Background(), f.Acme.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			got := summaries(log.Entries, func(e db.ListActivityRow) string { return e.Summary })
			return got, log.Older, log.Stopped
		},
	}
	for name, org := range map[string]*db.OrgID{"staff, all": nil, "staff, Acme": &f.Acme.ID} {
		loaders[name] = func(q db.ActivityQuery) ([]string, *db.ActivityCursor, bool) {
			log, err := env.store.LoadGlobalActivity(context.Background(),
				db.GlobalActivityQuery{ActivityQuery: q, Org: org})
			if err != nil {
				t.Fatal(err)
			}
			got := summaries(log.Entries,
				func(e db.ListActivityGlobalRow) string { return e.Summary })
			return got, log.Older, log.Stopped
		}
	}
	for name, load := range loaders {
		q := db.ActivityQuery{Filter: db.ActivityFilter{Text: "alpha beta"}, Rows: 50}
		got, older, stopped := load(q)
		if len(got) != 0 || !stopped || older == nil || !older.At.Equal(stop) {
			t.Fatalf("%s, first page: %d entries, stopped %v at %v; want none, "+
				"stopped at %v", name, len(got), stopped, older, stop)
		}
		q.Before = older
		got, older, stopped = load(q)
		if diff := cmp.Diff(want, got); diff != "" || stopped || older != nil {
			t.Errorf("%s, second page: stopped %v, older %v, entries (-want +got):\n%s",
				name, stopped, older, diff)
		}

		q = db.ActivityQuery{Filter: db.ActivityFilter{Text: "alpha beta",
			Action: "task.updated"}, Rows: 50}
		got, _, stopped = load(q)
		if diff := cmp.Diff(want, got); diff != "" || stopped {
			t.Errorf("%s, with an action: stopped %v, entries (-want +got):\n%s",
				name, stopped, diff)
		}
	}

	page := env.signedIn("alice@acme.example").get("/o/acme/activity?q=alpha+beta")
	cursor := activityCursor(db.ActivityCursor{At: stop, ID: 0})
	cursor = cursor[:strings.IndexByte(cursor, '_')+1]
	for _, want := range []string{"back to 20 Nov 2026 12:24 UTC and stopped there",
		"before=" + cursor} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
}

// summaries lists the entries' summaries in order.
func summaries[T any](entries []T, summary func(T) string) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = summary(e)
	}
	return out
}
