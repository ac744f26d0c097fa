package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// editTaskDetails saves a task's title, description and due date from the form on its
// page. Saving what is already there changes nothing and records nothing.
func (s *Server) editTaskDetails(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	id, err := taskIDFrom(r)
	if err != nil {
		return err
	}

	edit := components.TaskEdit{EditOpen: true, Title: r.PostFormValue("title"),
		Description: r.PostFormValue("description"), Due: r.PostFormValue("due_date"),
		Errors: components.TaskErrors{}}
	in := checkTaskDetails(edit.Title, edit.Description, edit.Due, edit.Errors)
	if len(edit.Errors) > 0 {
		return s.showTask(w, r, http.StatusUnprocessableEntity, id, edit,
			components.TaskNoteForm{}, components.TaskSummary)
	}

	changed := false
	err = s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) error {
		t, err := q.LockTask(ctx, db.LockTaskParams{OrgID: ws.OrgID, ID: id})
		if err != nil {
			return err
		}
		if t.Title == in.Title && t.Description == in.Description &&
			sameDay(t.DueDate, in.Due) {
			return nil
		}
		changed = true
		if err := q.UpdateTaskDetails(ctx, db.UpdateTaskDetailsParams{OrgID: ws.OrgID,
			ID: id, Title: in.Title, Description: in.Description, DueDate: in.Due}); err != nil {
			return fmt.Errorf("update task: %w", err)
		}
		return recordActivity(ctx, q, ws.OrgID, v.ID, change{Action: "task.updated",
			TargetType: "task", TargetID: &id, Summary: in.Title})
	})
	if err != nil {
		return fmt.Errorf("edit task %s: %w", id, err)
	}

	done := components.TaskEdit{Notice: "Saved.", Saved: true}
	if !changed {
		done.Notice = "Nothing to save: the task already reads like this."
	}
	return s.afterTaskChange(w, r, id, done)
}

// changeTaskStatus moves a task to the status of the button pressed.
func (s *Server) changeTaskStatus(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	id, err := taskIDFrom(r)
	if err != nil {
		return err
	}

	status := r.PostFormValue("status")
	if !slices.Contains(components.TaskStatuses, status) {
		edit := components.TaskEdit{Errors: components.TaskErrors{
			"status": "Choose one of the statuses: Open, In progress or Done."}}
		return s.showTask(w, r, http.StatusUnprocessableEntity, id, edit,
			components.TaskNoteForm{}, components.TaskSummary)
	}

	label := components.TaskStatusLabel(status)
	notice := "The task is now " + label + "."
	err = s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) error {
		t, err := q.LockTask(ctx, db.LockTaskParams{OrgID: ws.OrgID, ID: id})
		if err != nil {
			return err
		}
		if t.Status == status {
			notice = "The task was already " + label + "."
			return nil
		}
		if err := q.UpdateTaskStatus(ctx, db.UpdateTaskStatusParams{OrgID: ws.OrgID, ID: id,
			Status: status}); err != nil {
			return fmt.Errorf("update status: %w", err)
		}
		return recordActivity(ctx, q, ws.OrgID, v.ID, change{Action: "task.status_changed",
			TargetType: "task", TargetID: &id, Summary: fmt.Sprintf("%s: %s → %s", t.Title,
				components.TaskStatusLabel(t.Status), label)})
	})
	if err != nil {
		return fmt.Errorf("change status of task %s: %w", id, err)
	}
	return s.afterTaskChange(w, r, id, components.TaskEdit{Notice: notice})
}

// assignTask gives a task to an active member of the organization, or to nobody.
// Anyone else, a deactivated member or another organization's user, is refused with a
// 422 before the database's own keys would refuse them.
func (s *Server) assignTask(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	id, err := taskIDFrom(r)
	if err != nil {
		return err
	}

	chosen := r.PostFormValue("assignee_id")
	var notice, problem string
	err = s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) error {
		t, err := q.LockTask(ctx, db.LockTaskParams{OrgID: ws.OrgID, ID: id})
		if err != nil {
			return err
		}
		if sameAssignee(t.AssigneeID, chosen) {
			notice = "The assignee is unchanged."
			return nil
		}
		assignee, name, p, err := checkAssignee(ctx, q, ws.OrgID, chosen)
		if err != nil {
			return err
		}
		if p != "" {
			problem = p
			return errFormInvalid
		}

		if err := q.UpdateTaskAssignee(ctx, db.UpdateTaskAssigneeParams{OrgID: ws.OrgID,
			ID: id, AssigneeID: assignee}); err != nil {
			return fmt.Errorf("update assignee: %w", err)
		}
		notice = "The task is now assigned to " + name + "."
		if assignee == nil {
			notice, name = "The task is now assigned to nobody.", "nobody"
		}
		return recordActivity(ctx, q, ws.OrgID, v.ID, change{Action: "task.assigned",
			TargetType: "task", TargetID: &id, Summary: t.Title + " to " + name})
	})
	switch {
	case errors.Is(err, errFormInvalid):
		edit := components.TaskEdit{Errors: components.TaskErrors{"assignee_id": problem}}
		return s.showTask(w, r, http.StatusUnprocessableEntity, id, edit,
			components.TaskNoteForm{}, components.TaskSummary)
	case err != nil:
		return fmt.Errorf("assign task %s: %w", id, err)
	}
	return s.afterTaskChange(w, r, id, components.TaskEdit{Notice: notice})
}

// sameAssignee reports whether the form's choice is the task's current assignee, who
// may keep the task even if deactivated since.
func sameAssignee(current *uuid.UUID, chosen string) bool {
	if current == nil {
		return chosen == ""
	}
	id, err := uuid.Parse(chosen)
	return err == nil && id == *current
}
