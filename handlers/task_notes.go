package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// addTaskNote adds a note to a task. HTMX gets a fresh form with the note put at the
// end of the list; a plain form post goes back to the task's page, at the note.
func (s *Server) addTaskNote(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	id, err := taskIDFrom(r)
	if err != nil {
		return err
	}

	form := components.TaskNoteForm{Body: r.PostFormValue("body")}
	body, problem := checkText(form.Body, "note", true)
	if problem != "" {
		form.Error = problem
		return s.showTask(w, r, http.StatusUnprocessableEntity, id, components.TaskEdit{},
			form, components.TaskNoteFormPart)
	}

	var note db.CreateTaskNoteRow
	err = s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) error {
		t, err := q.LockTask(ctx, db.LockTaskParams{OrgID: ws.OrgID, ID: id})
		if err != nil {
			return err
		}
		note, err = q.CreateTaskNote(ctx, db.CreateTaskNoteParams{OrgID: ws.OrgID,
			TaskID: id, AuthorID: v.ID, Body: body})
		if err != nil {
			return fmt.Errorf("insert note: %w", err)
		}
		return recordActivity(ctx, q, ws.OrgID, v.ID, change{Action: "task_note.added",
			TargetType: "task_note", TargetID: &note.ID, Summary: t.Title})
	})
	if err != nil {
		return fmt.Errorf("add note to task %s: %w", id, err)
	}

	base := "/o/" + ws.Slug
	if !isFragmentRequest(r) {
		http.Redirect(w, r, taskPath(base, id.String())+"#note-"+note.ID.String(),
			http.StatusSeeOther)
		return nil
	}
	view := components.TaskView{BasePath: base, Task: components.TaskDetail{ID: id.String()}}
	n, err := s.taskNote(note.ID, &v.Name, note.Body, note.CreatedAt)
	if err != nil {
		return err
	}
	s.renderStatus(w, r, http.StatusOK, components.TaskNoteAdded(view, n))
	return nil
}

// taskNote is a note as the page shows it; an author who cannot be read is
// "Someone".
func (s *Server) taskNote(id uuid.UUID, author *string, body string, at time.Time) (
	components.TaskNote, error) {
	html, err := s.markdown.render(body)
	if err != nil {
		return components.TaskNote{}, fmt.Errorf("render note %s: %w", id, err)
	}
	n := components.TaskNote{ID: id.String(), Author: "Someone", Body: body, HTML: html,
		At: at}
	if author != nil {
		n.Author = *author
	}
	return n, nil
}
