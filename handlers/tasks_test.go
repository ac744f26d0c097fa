package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

func init() {
	isolationFixtures = append(isolationFixtures, taskFixture)
}

// taskFixture is an Acme task with a note, for the access matrix and the isolation
// harness.
func taskFixture(t testing.TB, env *testEnv) map[string]string {
	id := addTask(t, env, env.fix.Acme.ID, "Acme's fixture task", env.fix.Alice.ID)
	env.exec(t, `INSERT INTO task_note (org_id, task_id, author_id, body)
		VALUES ($1, $2, $3, 'A fixture note')`, env.fix.Acme.ID, id, env.fix.Alice.ID)
	return map[string]string{"task_id": id.String()}
}

// addTask creates an open, unassigned task behind the portal's back.
func addTask(t testing.TB, env *testEnv, org any, title string, by uuid.UUID) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := env.staffConn().QueryRow(context.Background(), `INSERT INTO task
		(org_id, title, created_by) VALUES ($1, $2, $3) RETURNING id`, org, title, by).Scan(&id)
	if err != nil {
		t.Fatalf("add task %q: %v", title, err)
	}
	return id
}

// addInactiveMember adds a deactivated member to Acme.
func addInactiveMember(t testing.TB, env *testEnv) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := env.staffConn().QueryRow(context.Background(), `INSERT INTO app_user
		(org_id, email, name, password_hash, role, is_active)
		VALUES ($1, 'eve@acme.example', 'Eve Ex', 'x', 'client', false) RETURNING id`,
		env.fix.Acme.ID).Scan(&id)
	if err != nil {
		t.Fatalf("add deactivated member: %v", err)
	}
	return id
}

// storedTask is a task's row as the tests compare it.
type storedTask struct {
	Title, Description, Status, Assignee, Due string
}

func loadStoredTask(t testing.TB, env *testEnv, id uuid.UUID) storedTask {
	t.Helper()
	var st storedTask
	err := env.staffConn().QueryRow(context.Background(), `SELECT t.title, t.description,
		t.status, coalesce(u.email, ''), coalesce(t.due_date::text, '')
		FROM task t LEFT JOIN app_user u ON u.id = t.assignee_id WHERE t.id = $1`, id).Scan(
		&st.Title, &st.Description, &st.Status, &st.Assignee, &st.Due)
	if err != nil {
		t.Fatalf("load task %s: %v", id, err)
	}
	return st
}

// activityOf lists the activity entries on a target, oldest first, as
// "actor action summary".
func activityOf(t testing.TB, env *testEnv, target uuid.UUID) []string {
	t.Helper()
	rows, err := env.staffConn().Query(context.Background(), `SELECT u.email || ' ' ||
		a.action || ' ' || a.summary FROM activity a JOIN app_user u ON u.id = a.actor_id
		WHERE a.target_id = $1 ORDER BY a.id`, target)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// fieldErrors returns the texts of the field errors in body.
func fieldErrors(t testing.TB, body string) []string {
	t.Helper()
	var out []string
	parseHTML(t, body).Find("[data-testid=field-error]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.Text())
	})
	return out
}

// checkRefused checks a 422 whose form names the problem, and that Acme's data is as
// it was before.
func checkRefused(t *testing.T, env *testEnv, got response, before, problem string) {
	t.Helper()
	if got.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("status = %d, want 422", got.StatusCode)
	}
	if errs := strings.Join(fieldErrors(t, got.body), " | "); !strings.Contains(errs, problem) {
		t.Errorf("field errors %q, want one that says %q", errs, problem)
	}
	if after := tenantSnapshot(t, env, "acme"); after != before {
		t.Errorf("Acme's data changed:\nbefore %s\nafter  %s", before, after)
	}
}

func TestCreateTask(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	eve := addInactiveMember(t, env)
	bob := env.fix.Bob.ID.String()

	t.Run("created in place, the form cleared", func(t *testing.T) {
		form := url.Values{"title": {"  Send the signed contract  "},
			"description": {"Both copies.\r\nBy post."}, "assignee_id": {bob},
			"due_date": {"2020-01-31"}}
		got := alice.post("/o/acme/tasks", form, htmx...)
		if got.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200: %s", got.StatusCode, got.body)
		}
		doc := parseHTML(t, got.body)
		if v, _ := doc.Find("#new-task-title").Attr("value"); v != "" {
			t.Errorf("the fresh form holds title %q", v)
		}
		row := doc.Find(`[hx-swap-oob="afterbegin:#task-rows"] [data-testid=task-item]`)
		if !strings.Contains(row.Text(), "Send the signed contract") ||
			!strings.Contains(row.Text(), "Bob Brown") ||
			row.Find("[data-testid=task-overdue]").Length() != 1 {
			t.Errorf("new row = %q, want the task, Bob, marked overdue", row.Text())
		}

		id := uuid.MustParse(strings.TrimPrefix(row.AttrOr("id", ""), "task-"))
		want := storedTask{Title: "Send the signed contract",
			Description: "Both copies.\nBy post.", Status: "open", Assignee: "bob@acme.example",
			Due: "2020-01-31"}
		if diff := cmp.Diff(want, loadStoredTask(t, env, id)); diff != "" {
			t.Errorf("stored task (-want +got):\n%s", diff)
		}
		wantLog := []string{"alice@acme.example task.created Send the signed contract"}
		if diff := cmp.Diff(wantLog, activityOf(t, env, id)); diff != "" {
			t.Errorf("activity (-want +got):\n%s", diff)
		}
	})

	t.Run("the longest title and description", func(t *testing.T) {
		form := url.Values{"title": {strings.Repeat("é", maxTaskTitle)},
			"description": {strings.Repeat("d", maxTaskText)}}
		if got := alice.post("/o/acme/tasks", form, htmx...); got.StatusCode != http.StatusOK {
			t.Errorf("status = %d, want 200: %v", got.StatusCode, fieldErrors(t, got.body))
		}
	})

	refused := []struct {
		name    string
		form    url.Values
		problem string
	}{
		{"no title", url.Values{"title": {"   "}}, "Enter a title"},
		{"title too long", url.Values{"title": {strings.Repeat("x", maxTaskTitle+1)}},
			"may have up to 200"},
		{"title on two lines", url.Values{"title": {"one\ntwo"}}, "one line"},
		{"NUL in the title", url.Values{"title": {"a\x00b"}}, "one line"},
		{"title not UTF-8", url.Values{"title": {"caf\xe9"}}, "one line"},
		{"description too long", url.Values{"title": {"t"},
			"description": {strings.Repeat("x", maxTaskText+1)}}, "may have up to 20000"},
		{"control character in the description", url.Values{"title": {"t"},
			"description": {"bell\x07"}}, "not text"},
		{"30 February", url.Values{"title": {"t"}, "due_date": {"2026-02-30"}}, "real date"},
		{"date in another format", url.Values{"title": {"t"}, "due_date": {"31/12/2026"}},
			"real date"},
		{"date as words", url.Values{"title": {"t"}, "due_date": {"tomorrow"}}, "real date"},
		{"year zero", url.Values{"title": {"t"}, "due_date": {"0000-01-01"}}, "real date"},
		{"assignee of another organization", url.Values{"title": {"t"},
			"assignee_id": {env.fix.Carol.ID.String()}}, "member of this organization"},
		{"deactivated assignee", url.Values{"title": {"t"}, "assignee_id": {eve.String()}},
			"Eve Ex has been deactivated"},
		{"JusB staff as assignee", url.Values{"title": {"t"},
			"assignee_id": {env.fix.Admin.ID.String()}}, "member of this organization"},
		{"assignee not an ID", url.Values{"title": {"t"}, "assignee_id": {"bob"}},
			"member of this organization"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := tenantSnapshot(t, env, "acme")
			got := alice.post("/o/acme/tasks", tt.form, htmx...)
			checkRefused(t, env, got, before, tt.problem)
			if strings.Contains(got.body, "<html") {
				t.Error("an HTMX request got a whole page")
			}
		})
	}

	t.Run("errors together, with what was typed", func(t *testing.T) {
		form := url.Values{"title": {""}, "description": {"keep me"},
			"due_date": {"2026-13-01"}, "assignee_id": {eve.String()}}
		got := alice.post("/o/acme/tasks", form, htmx...)
		if n := len(fieldErrors(t, got.body)); n != 3 {
			t.Errorf("%d field errors, want 3 (title, due date, assignee)", n)
		}
		if !strings.Contains(got.body, ">keep me</textarea>") {
			t.Error("the description typed was lost")
		}
	})
}

// TestTasksWithoutJavaScript posts the forms as a browser without JavaScript does: a
// change that works goes back to a page, one that does not gets the page with errors.
func TestTasksWithoutJavaScript(t *testing.T) {
	env := newTestEnv(t, Config{})
	bob := env.signedIn("bob@acme.example")

	got := bob.post("/o/acme/tasks", url.Values{"title": {"Plain form"}})
	loc := got.Header.Get("Location")
	if got.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/o/acme/tasks/") {
		t.Fatalf("create: %d to %q, want 303 to the task", got.StatusCode, loc)
	}
	page := bob.get(loc)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "Plain form") {
		t.Fatalf("task page: %d", page.StatusCode)
	}

	tests := []struct {
		name, path string
		form       url.Values
		status     int
	}{
		{"status", loc + "/status", url.Values{"status": {"in_progress"}}, 303},
		{"assignee", loc + "/assignee", url.Values{"assignee_id": {env.fix.Alice.ID.String()}},
			303},
		{"details", loc, url.Values{"title": {"Plain form, edited"}}, 303},
		{"note", loc + "/notes", url.Values{"body": {"Noted."}}, 303},
		{"bad status", loc + "/status", url.Values{"status": {"later"}}, 422},
		{"bad note", loc + "/notes", url.Values{"body": {""}}, 422},
		{"bad create", "/o/acme/tasks", url.Values{"title": {""}}, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bob.post(tt.path, tt.form)
			if got.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", got.StatusCode, tt.status)
			}
			if tt.status == 422 && !strings.Contains(got.body, "<html") {
				t.Error("a plain form post with errors did not get a whole page")
			}
		})
	}
	want := storedTask{Title: "Plain form, edited", Status: "in_progress",
		Assignee: "alice@acme.example"}
	id := uuid.MustParse(loc[len(loc)-36:])
	if diff := cmp.Diff(want, loadStoredTask(t, env, id)); diff != "" {
		t.Errorf("stored task (-want +got):\n%s", diff)
	}
}

func TestChangeTaskStatus(t *testing.T) {
	env := newTestEnv(t, Config{})
	bob := env.signedIn("bob@acme.example")
	id := addTask(t, env, env.fix.Acme.ID, "Book the venue", env.fix.Alice.ID)
	path := "/o/acme/tasks/" + id.String() + "/status"

	tests := []struct {
		name, status string
		wantNotice   string
		wantStored   string
		wantLog      []string
	}{
		{"to done", "done", "now Done", "done",
			[]string{"bob@acme.example task.status_changed Book the venue: Open → Done"}},
		{"to done again", "done", "already Done", "done", nil},
		{"back to in progress", "in_progress", "now In progress", "in_progress",
			[]string{"bob@acme.example task.status_changed Book the venue: Done → In progress"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := activityOf(t, env, id)
			got := bob.post(path, url.Values{"status": {tt.status}}, htmx...)
			if got.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", got.StatusCode)
			}
			doc := parseHTML(t, got.body)
			notice := doc.Find("[data-testid=task-notice]").Text()
			if !strings.Contains(notice, tt.wantNotice) {
				t.Errorf("notice = %q, want %q", notice, tt.wantNotice)
			}
			pressed := doc.Find(`[data-testid=task-status-form] [aria-pressed=true]`)
			if v, _ := pressed.Attr("value"); v != tt.wantStored {
				t.Errorf("pressed button = %q, want %q", v, tt.wantStored)
			}
			if got := loadStoredTask(t, env, id).Status; got != tt.wantStored {
				t.Errorf("stored status = %q, want %q", got, tt.wantStored)
			}
			added := activityOf(t, env, id)[len(before):]
			if diff := cmp.Diff(tt.wantLog, added, cmpEmptyAsNil); diff != "" {
				t.Errorf("activity added (-want +got):\n%s", diff)
			}
		})
	}

	for _, status := range []string{"closed", "", "DONE", "open "} {
		t.Run(fmt.Sprintf("status %q refused", status), func(t *testing.T) {
			before := tenantSnapshot(t, env, "acme")
			got := bob.post(path, url.Values{"status": {status}}, htmx...)
			checkRefused(t, env, got, before, "Choose one of the statuses")
		})
	}
}

// cmpEmptyAsNil compares an empty slice equal to nil.
var cmpEmptyAsNil = cmp.Transformer("emptyAsNil", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

func TestAssignTask(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	eve := addInactiveMember(t, env)
	id := addTask(t, env, env.fix.Acme.ID, "Renew the lease", env.fix.Alice.ID)
	path := "/o/acme/tasks/" + id.String() + "/assignee"

	tests := []struct {
		name, assignee string
		wantStored     string
		wantLog        []string
	}{
		{"to Bob", env.fix.Bob.ID.String(), "bob@acme.example",
			[]string{"alice@acme.example task.assigned Renew the lease to Bob Brown"}},
		{"to Bob again", env.fix.Bob.ID.String(), "bob@acme.example", nil},
		{"to nobody", "", "",
			[]string{"alice@acme.example task.assigned Renew the lease to nobody"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := activityOf(t, env, id)
			got := alice.post(path, url.Values{"assignee_id": {tt.assignee}}, htmx...)
			if got.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", got.StatusCode)
			}
			if got := loadStoredTask(t, env, id).Assignee; got != tt.wantStored {
				t.Errorf("stored assignee = %q, want %q", got, tt.wantStored)
			}
			added := activityOf(t, env, id)[len(before):]
			if diff := cmp.Diff(tt.wantLog, added, cmpEmptyAsNil); diff != "" {
				t.Errorf("activity added (-want +got):\n%s", diff)
			}
		})
	}

	refused := []struct {
		name, assignee, problem string
	}{
		{"another organization's member", env.fix.Dave.ID.String(), "member of this organization"},
		{"a deactivated member", eve.String(), "Eve Ex has been deactivated"},
		{"JusB staff", env.fix.Admin.ID.String(), "member of this organization"},
		{"a made-up ID", uuid.NewString(), "member of this organization"},
		{"not an ID", "'; DROP TABLE task; --", "member of this organization"},
	}
	for _, tt := range refused {
		t.Run(tt.name+" refused", func(t *testing.T) {
			before := tenantSnapshot(t, env, "acme")
			got := alice.post(path, url.Values{"assignee_id": {tt.assignee}}, htmx...)
			checkRefused(t, env, got, before, tt.problem)
		})
	}

	t.Run("a deactivated assignee keeps the tasks they had", func(t *testing.T) {
		env.exec(t, `UPDATE task SET assignee_id = $1 WHERE id = $2`, eve, id)
		page := alice.get("/o/acme/tasks/" + id.String())
		if !strings.Contains(page.body, "Eve Ex (deactivated)") {
			t.Error("the page does not show the deactivated assignee as such")
		}
		got := alice.post(path, url.Values{"assignee_id": {eve.String()}}, htmx...)
		if got.StatusCode != http.StatusOK || loadStoredTask(t, env, id).Assignee == "" {
			t.Errorf("keeping the assignee: status %d", got.StatusCode)
		}
	})
}

func TestEditTaskDetails(t *testing.T) {
	env := newTestEnv(t, Config{})
	bob := env.signedIn("bob@acme.example")
	id := addTask(t, env, env.fix.Acme.ID, "Draft the agenda", env.fix.Alice.ID)
	path := "/o/acme/tasks/" + id.String()

	t.Run("saved", func(t *testing.T) {
		form := url.Values{"title": {"Draft the agenda for May"},
			"description": {"Ask Alice for topics."}, "due_date": {"2027-05-01"}}
		got := bob.post(path, form, htmx...)
		if got.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200", got.StatusCode)
		}
		doc := parseHTML(t, got.body)
		title := doc.Find("[data-testid=task-title]").Text()
		if title != "Draft the agenda for May" {
			t.Errorf("title shown = %q", title)
		}
		if _, open := doc.Find("#task-edit").Attr("open"); open {
			t.Error("the form stayed open after saving")
		}
		want := storedTask{Title: "Draft the agenda for May",
			Description: "Ask Alice for topics.", Status: "open", Due: "2027-05-01"}
		if diff := cmp.Diff(want, loadStoredTask(t, env, id)); diff != "" {
			t.Errorf("stored task (-want +got):\n%s", diff)
		}
	})

	t.Run("saving the same changes nothing", func(t *testing.T) {
		before := tenantSnapshot(t, env, "acme")
		form := url.Values{"title": {"Draft the agenda for May"},
			"description": {"Ask Alice for topics."}, "due_date": {"2027-05-01"}}
		got := bob.post(path, form, htmx...)
		if !strings.Contains(got.body, "Nothing to save") {
			t.Error("no notice that nothing changed")
		}
		if after := tenantSnapshot(t, env, "acme"); after != before {
			t.Error("saving the same values changed data")
		}
	})

	t.Run("the due date removed", func(t *testing.T) {
		form := url.Values{"title": {"Draft the agenda for May"}, "due_date": {""}}
		bob.post(path, form, htmx...)
		if got := loadStoredTask(t, env, id); got.Due != "" || got.Description != "" {
			t.Errorf("stored %+v, want no due date and no description", got)
		}
		wantLog := []string{
			"bob@acme.example task.updated Draft the agenda for May",
			"bob@acme.example task.updated Draft the agenda for May",
		}
		if diff := cmp.Diff(wantLog, activityOf(t, env, id)); diff != "" {
			t.Errorf("activity (-want +got):\n%s", diff)
		}
	})

	refused := []struct {
		name    string
		form    url.Values
		problem string
	}{
		{"empty title", url.Values{"title": {""}}, "Enter a title"},
		{"title too long", url.Values{"title": {strings.Repeat("x", 201)}}, "up to 200"},
		{"bad date", url.Values{"title": {"ok"}, "due_date": {"2027-04-31"}}, "real date"},
	}
	for _, tt := range refused {
		t.Run(tt.name+" refused", func(t *testing.T) {
			before := tenantSnapshot(t, env, "acme")
			got := bob.post(path, tt.form, htmx...)
			checkRefused(t, env, got, before, tt.problem)
			doc := parseHTML(t, got.body)
			if _, open := doc.Find("#task-edit").Attr("open"); !open {
				t.Error("the form with errors is folded away")
			}
			if v, _ := doc.Find("#edit-task-title").Attr("value"); v != tt.form.Get("title") {
				t.Errorf("title field holds %q, want what was typed", v)
			}
		})
	}
}

func TestAddTaskNote(t *testing.T) {
	env := newTestEnv(t, Config{})
	bob := env.signedIn("bob@acme.example")
	id := addTask(t, env, env.fix.Acme.ID, "Order the badges", env.fix.Alice.ID)
	path := "/o/acme/tasks/" + id.String() + "/notes"

	got := bob.post(path, url.Values{"body": {"Called the printer.\r\nReady Friday."}}, htmx...)
	if got.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", got.StatusCode)
	}
	doc := parseHTML(t, got.body)
	note := doc.Find(`[hx-swap-oob="beforeend:#task-notes"] [data-testid=task-note]`)
	if !strings.Contains(note.Text(), "Bob Brown") ||
		note.Find("[data-testid=task-note-body]").Text() != "Called the printer.\nReady Friday." {
		t.Errorf("note appended = %q", note.Text())
	}
	if body := doc.Find("#task-note-body").Text(); body != "" {
		t.Errorf("the fresh form holds %q", body)
	}
	noteID := uuid.MustParse(strings.TrimPrefix(note.AttrOr("id", ""), "note-"))
	wantLog := []string{"bob@acme.example task_note.added Order the badges"}
	if diff := cmp.Diff(wantLog, activityOf(t, env, noteID)); diff != "" {
		t.Errorf("activity (-want +got):\n%s", diff)
	}

	page := parseHTML(t, bob.get("/o/acme/tasks/"+id.String()).body)
	if n := page.Find("[data-testid=task-note]").Length(); n != 1 {
		t.Errorf("task page shows %d notes, want 1", n)
	}

	refused := []struct {
		name, body, problem string
	}{
		{"empty", "", "Write the note first"},
		{"only spaces", " \r\n\t ", "Write the note first"},
		{"too long", strings.Repeat("n", maxTaskText+1), "up to 20000"},
		{"NUL", "a\x00b", "not text"},
	}
	for _, tt := range refused {
		t.Run(tt.name+" refused", func(t *testing.T) {
			before := tenantSnapshot(t, env, "acme")
			got := bob.post(path, url.Values{"body": {tt.body}}, htmx...)
			checkRefused(t, env, got, before, tt.problem)
		})
	}
}

// TestTaskNotFound tries every task route with IDs that are not the viewer's to see:
// all answer like a task that does not exist, and nothing changes.
func TestTaskNotFound(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	acmeTask := addTask(t, env, env.fix.Acme.ID, "Acme task", env.fix.Alice.ID)
	globexTask := addTask(t, env, env.fix.Globex.ID, "Globex task", env.fix.Carol.ID)
	notFound := alice.get("/o/acme/no-such-page")
	before := [2]string{tenantSnapshot(t, env, "acme"), tenantSnapshot(t, env, "globex")}

	ids := map[string]string{
		"Globex's task":   globexTask.String(),
		"made-up ID":      uuid.NewString(),
		"malformed ID":    "12345",
		"ID in capitals":  strings.ToUpper(acmeTask.String()),
		"ID without dash": strings.ReplaceAll(acmeTask.String(), "-", ""),
	}
	form := url.Values{"title": {"x"}, "status": {"done"}, "body": {"x"},
		"assignee_id": {env.fix.Bob.ID.String()}}
	for name, id := range ids {
		for _, suffix := range []string{"", "/status", "/assignee", "/notes"} {
			path := "/o/acme/tasks/" + id + suffix
			t.Run(name+" "+suffix, func(t *testing.T) {
				var got response
				if suffix == "" {
					got = alice.get(path)
					if got.StatusCode != http.StatusNotFound {
						t.Errorf("GET: status = %d, want 404", got.StatusCode)
					}
					if clean(got.body) != clean(notFound.body) {
						t.Error("GET: the answer differs from that for a page that does not exist")
					}
				}
				if got = alice.post(path, form); got.StatusCode != http.StatusNotFound {
					t.Errorf("POST: status = %d, want 404", got.StatusCode)
				}
				got = alice.post(path, url.Values{}, htmx...)
				if got.StatusCode != http.StatusNotFound {
					t.Errorf("POST with bad input: status = %d, want 404", got.StatusCode)
				}
			})
		}
	}
	after := [2]string{tenantSnapshot(t, env, "acme"), tenantSnapshot(t, env, "globex")}
	if after != before {
		t.Errorf("data changed:\nbefore %v\nafter  %v", before, after)
	}
}

// TestTaskTextIsInert stores markup in every field and checks it shows as text.
func TestTaskTextIsInert(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	payload := `<script>alert(1)</script><img src=x onerror=alert(2)>` +
		`<a hx-get="/admin" hx-trigger="load">x</a>`
	got := alice.post("/o/acme/tasks", url.Values{"title": {payload},
		"description": {payload}})
	loc := got.Header.Get("Location")
	alice.post(loc+"/notes", url.Values{"body": {payload}})
	page := alice.get(loc)
	for _, bad := range []string{"<script>alert", "<img src=x", `<a hx-get="/admin"`} {
		if strings.Contains(page.body, bad) {
			t.Errorf("the page carries %q as markup", bad)
		}
	}
	if !strings.Contains(page.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the payload is not shown as text")
	}
}

// TestStaffWorkOnTasks checks that JusB staff create and change tasks in a client's
// workspace, under their own name.
func TestStaffWorkOnTasks(t *testing.T) {
	env := newTestEnv(t, Config{})
	staff := env.signedIn("admin@jusb.example")
	got := staff.post("/o/acme/tasks", url.Values{"title": {"Check the setup"},
		"assignee_id": {env.fix.Alice.ID.String()}})
	loc := got.Header.Get("Location")
	if got.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: status %d", got.StatusCode)
	}
	id := uuid.MustParse(loc[len(loc)-36:])
	staff.post(loc+"/status", url.Values{"status": {"done"}})
	want := []string{"admin@jusb.example task.created Check the setup",
		"admin@jusb.example task.status_changed Check the setup: Open → Done"}
	if diff := cmp.Diff(want, activityOf(t, env, id)); diff != "" {
		t.Errorf("activity (-want +got):\n%s", diff)
	}
	page := staff.get(loc)
	if !strings.Contains(page.body, "by Jess Admin") {
		t.Error("the page does not name the staff member who created the task")
	}
	if got := staff.post(loc+"/assignee", url.Values{"assignee_id": {env.fix.Admin.ID.String()}},
		htmx...); got.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("assign to staff: status %d, want 422", got.StatusCode)
	}
}
