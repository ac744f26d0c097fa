package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestTaskMarkdownIsInert writes each XSS payload as a task's description, as its
// edited description and as a note, and checks every place they show: nothing active
// survives, while Markdown renders (X1, X2 for tasks and notes). A payload the form
// refuses outright (422: control characters) is inert too.
func TestTaskMarkdownIsInert(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")

	for _, p := range xssPayloads {
		t.Run(p.name, func(t *testing.T) {
			created := alice.post("/o/acme/tasks", url.Values{"title": {"XSS " + p.name},
				"description": {"**Plain** to start with"}})
			path := created.Header.Get("Location")
			if _, err := uuid.Parse(strings.TrimPrefix(path, "/o/acme/tasks/")); err != nil {
				t.Fatalf("create: status %d, at %q", created.StatusCode, path)
			}
			page := parseHTML(t, alice.get(path).body)
			if page.Find("[data-testid=task-description] strong").Text() != "Plain" {
				t.Error("the description's Markdown is not rendered")
			}

			edited := alice.post(path, url.Values{"title": {"XSS " + p.name},
				"description": {p.body}}, htmx...)
			switch edited.StatusCode {
			case http.StatusOK:
				checkInertBodies(t, "edit answer", parseHTML(t, edited.body).Selection,
					"task-description")
				checkInertBodies(t, "page", parseHTML(t, alice.get(path).body).Selection,
					"task-description")
			case http.StatusUnprocessableEntity:
			default:
				t.Fatalf("edit: status %d", edited.StatusCode)
			}

			note := alice.post(path+"/notes", url.Values{"body": {p.body}}, htmx...)
			switch note.StatusCode {
			case http.StatusOK:
				checkInertBodies(t, "note answer", parseHTML(t, note.body).Selection,
					"task-note-body")
				checkInertBodies(t, "page's note",
					parseHTML(t, alice.get(path).body).Selection, "task-note-body")
			case http.StatusUnprocessableEntity:
			default:
				t.Fatalf("note: status %d", note.StatusCode)
			}
		})
	}
}
