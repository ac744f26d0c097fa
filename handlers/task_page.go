package handlers

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// taskNotesPageSize is how many notes a task's page shows at once.
const taskNotesPageSize = 100

// taskPage shows a task with its latest notes. With notes_before it shows the notes
// before that one instead: for HTMX alone, to take the place of the link to them.
func (s *Server) taskPage(w http.ResponseWriter, r *http.Request) error {
	id, err := taskIDFrom(r)
	if err != nil {
		return err
	}
	// A position this code did not write shows the latest notes.
	before, _ := db.ParseNoteCursor(r.URL.Query().Get("notes_before"))

	view, err := s.loadTask(r, id, before, components.TaskEdit{}, components.TaskNoteForm{})
	if err != nil {
		return err
	}

	var fragment templ.Component
	if !before.IsZero() {
		fragment = components.TaskEarlierNotes(view)
	}
	s.render(w, r, http.StatusOK, s.taskPageFor(r, view), fragment)
	return nil
}

// taskIDFrom reads the task's ID from the URL. A malformed one answers like a task
// that does not exist.
func taskIDFrom(r *http.Request) (uuid.UUID, error) {
	raw := chi.URLParam(r, "task_id")
	id, err := uuid.Parse(raw)
	if err != nil || id.String() != raw {
		return uuid.UUID{}, errNotFound
	}
	return id, nil
}

func (s *Server) taskPageFor(r *http.Request, v components.TaskView) templ.Component {
	return components.TaskPage(s.shellFor(r, v.Task.Title, components.SectionTasks), v)
}

// showTask answers a change on a task's page: fragment for HTMX, the whole page
// otherwise, with the forms in the state given.
func (s *Server) showTask(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID,
	edit components.TaskEdit, note components.TaskNoteForm,
	fragment func(components.TaskView) templ.Component) error {
	view, err := s.loadTask(r, id, db.NoteCursor{}, edit, note)
	if err != nil {
		return err
	}
	s.render(w, r, status, s.taskPageFor(r, view), fragment(view))
	return nil
}

// afterTaskChange answers a change that worked: HTMX gets the task's summary with
// what happened; a plain form post goes back to the task's page.
func (s *Server) afterTaskChange(w http.ResponseWriter, r *http.Request, id uuid.UUID,
	edit components.TaskEdit) error {
	if !isFragmentRequest(r) {
		ws, _ := WorkspaceFrom(r.Context())
		http.Redirect(w, r, taskPath("/o/"+ws.Slug, id.String()), http.StatusSeeOther)
		return nil
	}
	return s.showTask(w, r, http.StatusOK, id, edit, components.TaskNoteForm{},
		components.TaskSummary)
}

// loadTask reads a task's page in one round trip and builds its view. The forms show
// the task as it is, except the details and note forms after a failed change, which
// show what was typed.
func (s *Server) loadTask(r *http.Request, id uuid.UUID, before db.NoteCursor,
	edit components.TaskEdit, note components.TaskNoteForm) (components.TaskView, error) {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)

	p, err := s.store.LoadTask(ctx, ws.OrgID, id, before, taskNotesPageSize+1)
	if err != nil {
		return components.TaskView{}, fmt.Errorf("load task %s: %w", id, err)
	}

	base := "/o/" + ws.Slug
	task, err := s.taskDetail(p.Task)
	if err != nil {
		return components.TaskView{}, err
	}
	if !edit.EditOpen {
		edit.Title, edit.Description = task.Title, task.Description
		edit.Due = formatDue(task.Due)
	}
	edit.AssigneeID = task.AssigneeID
	view := components.TaskView{BasePath: base, Task: task,
		Members: taskMembers(p.Members), Edit: edit, NoteForm: note}

	notes := p.Notes // newest first
	if len(notes) > taskNotesPageSize {
		notes = notes[:taskNotesPageSize]
		cursor := db.CursorOfNote(notes[len(notes)-1])
		view.EarlierNotesURL = taskPath(base, task.ID) + "?notes_before=" + cursor.String()
	}
	if !before.IsZero() {
		view.LatestNotesURL = taskPath(base, task.ID)
	}
	for _, n := range slices.Backward(notes) {
		note, err := s.taskNote(n.ID, n.AuthorName, n.Body, n.CreatedAt)
		if err != nil {
			return components.TaskView{}, err
		}
		view.Notes = append(view.Notes, note)
	}
	return view, nil
}

// taskDetail is a task as its page shows it, the description rendered from Markdown.
// Descriptions and notes are rendered when shown (a page holds one description and
// up to taskNotesPageSize notes, some tens of microseconds each), where messages,
// two hundred to a page, are rendered once when posted.
func (s *Server) taskDetail(t db.GetTaskRow) (components.TaskDetail, error) {
	html, err := s.markdown.render(t.Description)
	if err != nil {
		return components.TaskDetail{}, fmt.Errorf("render description of task %s: %w",
			t.ID, err)
	}
	d := components.TaskDetail{ID: t.ID.String(), Title: t.Title,
		Description: t.Description, DescriptionHTML: html, Status: t.Status,
		Due: t.DueDate, Overdue: t.Overdue, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if t.AssigneeID != nil {
		d.AssigneeID = t.AssigneeID.String()
	}
	if t.AssigneeName != nil {
		d.Assignee = *t.AssigneeName
	}
	d.AssigneeInactive = t.AssigneeActive != nil && !*t.AssigneeActive
	if t.CreatorName != nil {
		d.Creator = *t.CreatorName
	}
	return d, nil
}
