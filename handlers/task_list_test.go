package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// listTitles returns the titles of the tasks in a list page or fragment, in order.
func listTitles(t testing.TB, body string) []string {
	t.Helper()
	var out []string
	parseHTML(t, body).Find("[data-testid=task-link]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.Text())
	})
	return out
}

func TestTaskListFilters(t *testing.T) {
	env := newTestEnv(t, Config{})
	f := env.fix
	env.exec(t, `INSERT INTO task (org_id, title, status, assignee_id, due_date, created_by)
		VALUES ($1, 'Undated', 'open', NULL, NULL, $2),
		       ($1, 'Late, Bob''s', 'open', $3, current_date - 3, $2),
		       ($1, 'Soon, Alice''s', 'in_progress', $2, current_date + 5, $2),
		       ($1, 'Done, was late', 'done', $3, current_date - 10, $2),
		       ($1, 'Due today', 'in_progress', NULL, current_date, $2)`,
		f.Acme.ID, f.Alice.ID, f.Bob.ID)
	addTask(t, env, f.Globex.ID, "Globex's", f.Carol.ID)
	bob := env.signedIn("bob@acme.example")

	all := []string{"Late, Bob's", "Due today", "Soon, Alice's", "Undated", "Done, was late"}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"everything, in order", "", all},
		{"open", "?status=open", []string{"Late, Bob's", "Undated"}},
		{"in progress", "?status=in_progress", []string{"Due today", "Soon, Alice's"}},
		{"done", "?status=done", []string{"Done, was late"}},
		{"Bob's", "?assignee=" + f.Bob.ID.String(), []string{"Late, Bob's", "Done, was late"}},
		{"mine", "?mine=1", []string{"Late, Bob's", "Done, was late"}},
		{"assigned to me", "?assignee=me", []string{"Late, Bob's", "Done, was late"}},
		{"unassigned", "?assignee=none", []string{"Due today", "Undated"}},
		{"mine and done", "?assignee=me&status=done", []string{"Done, was late"}},
		{"another organization's member", "?assignee=" + f.Carol.ID.String(), nil},
		{"unknown values ignored", "?status=closed&assignee=bob&after=xyz", all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bob.get("/o/acme/tasks" + tt.query)
			if got.StatusCode != http.StatusOK {
				t.Fatalf("status = %d", got.StatusCode)
			}
			if diff := cmp.Diff(tt.want, listTitles(t, got.body), cmpEmptyAsNil); diff != "" {
				t.Errorf("tasks (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("overdue marked in words", func(t *testing.T) {
		doc := parseHTML(t, bob.get("/o/acme/tasks").body)
		var overdue []string
		doc.Find("[data-testid=task-item]").Each(func(_ int, s *goquery.Selection) {
			if o := s.Find("[data-testid=task-overdue]"); o.Length() > 0 {
				overdue = append(overdue, s.Find("[data-testid=task-link]").Text())
				if !strings.Contains(o.Text(), "Overdue") {
					t.Errorf("overdue mark %q does not say so", o.Text())
				}
			}
		})
		if diff := cmp.Diff([]string{"Late, Bob's"}, overdue); diff != "" {
			t.Errorf("overdue tasks (-want +got):\n%s", diff)
		}
	})

	t.Run("filter form keeps the filter", func(t *testing.T) {
		doc := parseHTML(t, bob.get("/o/acme/tasks?status=open&assignee=none").body)
		if v, _ := doc.Find("#filter-status option[selected]").Attr("value"); v != "open" {
			t.Errorf("status selected = %q", v)
		}
		if v, _ := doc.Find("#filter-assignee option[selected]").Attr("value"); v != "none" {
			t.Errorf("assignee selected = %q", v)
		}
	})

	t.Run("HTMX gets the results alone", func(t *testing.T) {
		got := bob.get("/o/acme/tasks?status=done", htmx...)
		if strings.Contains(got.body, "<html") || !strings.HasPrefix(got.body,
			`<section id="task-results"`) {
			t.Errorf("fragment starts %.60q", got.body)
		}
		if got.Header.Get("Vary") == "" {
			t.Error("no Vary header on a URL that serves pages and fragments")
		}
	})
}

// TestTaskListPages walks the list page by page, as the links lead, over more tasks
// than fit a page and with ties on every sort key.
func TestTaskListPages(t *testing.T) {
	env := newTestEnv(t, Config{})
	env.exec(t, `INSERT INTO task (org_id, title, status, due_date, created_by, created_at)
		SELECT $1, 'Task ' || i, (ARRAY['open', 'in_progress', 'done'])[1 + i % 3],
		       CASE WHEN i % 4 = 0 THEN NULL ELSE current_date + (i % 5) END, $2,
		       now() - (i % 7) * interval '1 hour'
		FROM generate_series(1, 130) i`, env.fix.Acme.ID, env.fix.Alice.ID)
	rows, err := env.staffConn().Query(context.Background(), `SELECT title FROM task
		WHERE org_id = $1 ORDER BY status = 'done', due_date NULLS LAST, created_at, id`,
		env.fix.Acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	alice := env.signedIn("alice@acme.example")

	t.Run("following the links", func(t *testing.T) {
		var got []string
		var sizes []int
		path := "/o/acme/tasks"
		for path != "" && len(sizes) < 10 {
			page := alice.get(path)
			titles := listTitles(t, page.body)
			got, sizes = append(got, titles...), append(sizes, len(titles))
			path, _ = parseHTML(t, page.body).Find("[data-testid=task-more]").Attr("href")
		}
		if diff := cmp.Diff([]int{50, 50, 30}, sizes); diff != "" {
			t.Errorf("page sizes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tasks over all pages (-want +got):\n%s", diff)
		}
	})

	t.Run("more rows in place", func(t *testing.T) {
		first := parseHTML(t, alice.get("/o/acme/tasks").body)
		next, _ := first.Find("[data-testid=task-more]").Attr("hx-get")
		more := alice.get(next, htmx...)
		if strings.Contains(more.body, "task-filter") || !strings.HasPrefix(more.body, "<li") {
			t.Errorf("more rows fragment starts %.60q", more.body)
		}
		if diff := cmp.Diff(want[50:100], listTitles(t, more.body)); diff != "" {
			t.Errorf("more rows (-want +got):\n%s", diff)
		}
		doc := parseHTML(t, more.body)
		if _, ok := doc.Find("[data-testid=task-link]").First().Attr("autofocus"); !ok {
			t.Error("the focus does not move to the first row appended")
		}
		if doc.Find("[data-testid=task-more]").Length() != 1 {
			t.Error("no link to the last page")
		}
	})
}

func TestTaskNotesPages(t *testing.T) {
	env := newTestEnv(t, Config{})
	id := addTask(t, env, env.fix.Acme.ID, "Long discussion", env.fix.Alice.ID)
	env.exec(t, `INSERT INTO task_note (org_id, task_id, author_id, body, created_at)
		SELECT $1, $2, $3, 'Note ' || i, now() - (150 - i) * interval '1 minute'
		FROM generate_series(1, 150) i`, env.fix.Acme.ID, id, env.fix.Bob.ID)
	alice := env.signedIn("alice@acme.example")

	notes := func(body string) []string {
		var out []string
		parseHTML(t, body).Find("[data-testid=task-note-body]").Each(
			func(_ int, s *goquery.Selection) {
				out = append(out, strings.TrimSpace(s.Text()))
			})
		return out
	}
	page := alice.get("/o/acme/tasks/" + id.String())
	latest := notes(page.body)
	if len(latest) != taskNotesPageSize || latest[0] != "Note 51" || latest[99] != "Note 150" {
		t.Fatalf("latest notes: %d, from %q to %q", len(latest), latest[0], latest[len(latest)-1])
	}
	earlier, _ := parseHTML(t, page.body).Find("[data-testid=task-notes-earlier]").Attr("hx-get")
	frag := alice.get(earlier, htmx...)
	got := notes(frag.body)
	if len(got) != 50 || got[0] != "Note 1" || got[49] != "Note 50" {
		t.Errorf("earlier notes: %d, from %q", len(got), got)
	}
	if strings.Contains(frag.body, "task-notes-earlier") {
		t.Error("a link to even earlier notes, though there are none")
	}
}

// TestTaskQueryBudget checks the list and a task's page cost two round trips (the
// viewer, then the page in one batch), whether they show 1 or 50 more items.
func TestTaskQueryBudget(t *testing.T) {
	env := newTestEnv(t, Config{})
	id := addTask(t, env, env.fix.Acme.ID, "Budgeted", env.fix.Alice.ID)
	addTasks := func(t testing.TB, env *testEnv, n int) {
		env.exec(t, `INSERT INTO task (org_id, title, assignee_id, due_date, created_by)
			SELECT $1, 'Task ' || i, $2, current_date - i, $2 FROM generate_series(1, $3) i`,
			env.fix.Acme.ID, env.fix.Bob.ID, n)
	}
	addNotes := func(t testing.TB, env *testEnv, n int) {
		env.exec(t, `INSERT INTO task_note (org_id, task_id, author_id, body)
			SELECT $1, $2, $3, 'Note ' || i FROM generate_series(1, $4) i`,
			env.fix.Acme.ID, id, env.fix.Bob.ID, n)
	}
	checkBudget(t, env, "alice@acme.example", "/o/acme/tasks", 2, addTasks)
	checkBudget(t, env, "alice@acme.example", "/o/acme/tasks?mine=1&status=open", 2, addTasks)
	checkBudget(t, env, "alice@acme.example", "/o/acme/tasks/"+id.String(), 2, addNotes)
}
