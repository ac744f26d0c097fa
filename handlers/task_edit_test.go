package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

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
