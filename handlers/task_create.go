package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// createTask creates a task from the list page's form. HTMX gets a fresh form with the
// new task put at the top of the list; a plain form post goes to the new task's page.
// A form that will not do comes back with its errors and a 422, and nothing is
// written.
func (s *Server) createTask(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)

	form := components.TaskCreateForm{Title: r.PostFormValue("title"),
		Description: r.PostFormValue("description"),
		AssigneeID:  r.PostFormValue("assignee_id"), Due: r.PostFormValue("due_date"),
		Errors: components.TaskErrors{}}
	in := checkTaskDetails(form.Title, form.Description, form.Due, form.Errors)

	var created db.CreateTaskRow
	var assignee string
	err := s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) error {
		id, name, problem, err := checkAssignee(ctx, q, ws.OrgID, form.AssigneeID)
		if err != nil {
			return err
		}
		if problem != "" {
			form.Errors["assignee_id"] = problem
		}
		if len(form.Errors) > 0 {
			return errFormInvalid
		}

		created, err = q.CreateTask(ctx, db.CreateTaskParams{OrgID: ws.OrgID,
			Title: in.Title, Description: in.Description, AssigneeID: id, DueDate: in.Due,
			CreatedBy: v.ID})
		if err != nil {
			return fmt.Errorf("insert task: %w", err)
		}
		assignee = name
		return recordActivity(ctx, q, ws.OrgID, v.ID, change{Action: "task.created",
			TargetType: "task", TargetID: &created.ID, Summary: created.Title})
	})
	switch {
	case errors.Is(err, errFormInvalid):
		return s.renderTaskCreateForm(w, r, http.StatusUnprocessableEntity, form)
	case err != nil:
		return fmt.Errorf("create task in %s: %w", ws.Slug, err)
	}

	base := "/o/" + ws.Slug
	if !isFragmentRequest(r) {
		http.Redirect(w, r, taskPath(base, created.ID.String()), http.StatusSeeOther)
		return nil
	}
	members, err := s.store.LoadAssignableMembers(ctx, ws.OrgID)
	if err != nil {
		return fmt.Errorf("load members of %s: %w", ws.Slug, err)
	}
	item := components.TaskItem{ID: created.ID.String(), Title: created.Title,
		Status: created.Status, Assignee: assignee, Due: created.DueDate,
		Overdue: created.Overdue}
	fresh := components.TaskCreateForm{Created: created.Title}
	s.renderStatus(w, r, http.StatusOK,
		components.TaskCreated(base, taskMembers(members), fresh, item))
	return nil
}

// renderTaskCreateForm shows the create form as it was filled in, with its errors:
// alone for HTMX, on the list's first page otherwise.
func (s *Server) renderTaskCreateForm(w http.ResponseWriter, r *http.Request, status int,
	form components.TaskCreateForm) error {
	view, err := s.loadTaskList(r, components.TaskFilter{}, db.TaskCursor{})
	if err != nil {
		return err
	}
	view.Create = form
	s.render(w, r, status, s.tasksPage(r, view),
		components.TaskCreate(view.BasePath, view.Members, form))
	return nil
}

// taskPath is the URL of a task's page.
func taskPath(base, id string) string { return base + "/tasks/" + id }
