package handlers

import (
	"context"
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
