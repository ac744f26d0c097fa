package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

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
