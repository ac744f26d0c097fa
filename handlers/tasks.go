package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/a-h/templ"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// taskPageSize is how many tasks a page of the list shows.
const taskPageSize = 50

// taskRoutes declares the routes of the tasks area: the list with its create form, and
// each task's page with its in-place changes and notes. Every member may use them.
func (s *Server) taskRoutes() []Route {
	return []Route{
		rt("GET", "/o/{slug}/tasks", Member, s.taskList),
		rt("POST", "/o/{slug}/tasks", Member, s.createTask),
		rt("GET", "/o/{slug}/tasks/{task_id}", Member, s.taskPage),
		rt("POST", "/o/{slug}/tasks/{task_id}", Member, s.editTaskDetails),
		rt("POST", "/o/{slug}/tasks/{task_id}/status", Member, s.changeTaskStatus),
		rt("POST", "/o/{slug}/tasks/{task_id}/assignee", Member, s.assignTask),
		rt("POST", "/o/{slug}/tasks/{task_id}/notes", Member, s.addTaskNote),
	}
}

// taskList shows a page of the task list, filtered by the URL's query. An HTMX
// request gets the results alone (the filter changed) or, with a page position, the
// next rows to append.
func (s *Server) taskList(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	filter := parseTaskFilter(query)
	// A page position this code did not write starts at the top.
	after, _ := db.ParseTaskCursor(query.Get("after"))

	view, err := s.loadTaskList(r, filter, after)
	if err != nil {
		return err
	}

	fragment := components.TaskResults(view)
	if !after.IsZero() {
		fragment = components.TaskMoreRows(view)
	}
	s.render(w, r, http.StatusOK, s.tasksPage(r, view), fragment)
	return nil
}

func (s *Server) tasksPage(r *http.Request, v components.TaskListView) templ.Component {
	return components.TasksPage(s.shellFor(r, "Tasks", components.SectionTasks), v)
}

// parseTaskFilter reads the filter from a query: status, assignee (a member's ID,
// "me" or "none") and mine=1, the same as assignee=me. Values it does not know are
// ignored, so a mangled link shows every task rather than an error.
func parseTaskFilter(q url.Values) components.TaskFilter {
	var f components.TaskFilter
	if st := q.Get("status"); slices.Contains(components.TaskStatuses, st) {
		f.Status = st
	}
	switch a := q.Get("assignee"); {
	case q.Get("mine") == "1" || a == components.TaskAssigneeMe:
		f.Assignee = components.TaskAssigneeMe
	case a == components.TaskAssigneeNone:
		f.Assignee = a
	default:
		if id, err := uuid.Parse(a); err == nil {
			f.Assignee = id.String()
		}
	}
	return f
}

// taskListQuery turns the filter into the list's query for viewer.
func taskListQuery(f components.TaskFilter, viewer uuid.UUID,
	after db.TaskCursor) db.TaskListQuery {
	q := db.TaskListQuery{After: after, Limit: taskPageSize + 1}
	if f.Status != "" {
		q.Status = &f.Status
	}
	switch f.Assignee {
	case "":
	case components.TaskAssigneeMe:
		q.ByAssignee, q.AssigneeID = true, &viewer
	case components.TaskAssigneeNone:
		q.ByAssignee = true
	default:
		id := uuid.MustParse(f.Assignee) // parseTaskFilter checked it
		q.ByAssignee, q.AssigneeID = true, &id
	}
	return q
}

// filterURL is the list's URL for a filter, from position after when set.
func filterURL(base string, f components.TaskFilter, after db.TaskCursor) string {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if f.Assignee != "" {
		q.Set("assignee", f.Assignee)
	}
	if !after.IsZero() {
		q.Set("after", after.String())
	}
	if len(q) == 0 {
		return base + "/tasks"
	}
	return base + "/tasks?" + q.Encode()
}

// loadTaskList reads the list page's data in one round trip and builds its view.
func (s *Server) loadTaskList(r *http.Request, filter components.TaskFilter,
	after db.TaskCursor) (components.TaskListView, error) {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)

	list, err := s.store.LoadTaskList(ctx, ws.OrgID, taskListQuery(filter, v.ID, after))
	if err != nil {
		return components.TaskListView{}, fmt.Errorf("load tasks of %s: %w", ws.Slug, err)
	}

	base := "/o/" + ws.Slug
	view := components.TaskListView{BasePath: base, Filter: filter,
		Members: taskMembers(list.Members), OfferMe: !v.IsStaff()}
	rows := list.Tasks
	if len(rows) > taskPageSize {
		rows = rows[:taskPageSize]
		view.NextURL = filterURL(base, filter, db.CursorOfTask(rows[len(rows)-1]))
	}
	if !after.IsZero() {
		view.FirstURL = filterURL(base, filter, db.TaskCursor{})
	}
	for _, t := range rows {
		view.Tasks = append(view.Tasks, taskItem(t))
	}
	return view, nil
}

func taskItem(t db.ListTasksRow) components.TaskItem {
	item := components.TaskItem{ID: t.ID.String(), Title: t.Title, Status: t.Status,
		Due: t.DueDate, Overdue: t.Overdue}
	if t.AssigneeName != nil {
		item.Assignee = *t.AssigneeName
	}
	return item
}

func taskMembers(rows []db.ListAssignableMembersRow) []components.TaskMember {
	out := make([]components.TaskMember, 0, len(rows))
	for _, m := range rows {
		out = append(out, components.TaskMember{ID: m.ID.String(), Name: m.Name})
	}
	return out
}
