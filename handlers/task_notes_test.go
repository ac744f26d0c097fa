package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

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
	// The line break typed stays one (Markdown, with hard wraps).
	body := note.Find("[data-testid=task-note-body]")
	if !strings.Contains(note.Text(), "Bob Brown") || body.Find("p br").Length() != 1 ||
		strings.TrimSpace(body.Text()) != "Called the printer.\nReady Friday." {
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
