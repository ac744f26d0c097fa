package handlers

import (
	"fmt"
	"net/http"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// dashboard shows what needs attention in the workspace: open tasks (the viewer's
// first), threads with unread messages, recent files and the latest activity, all read
// in one round trip.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)

	d, err := s.store.LoadDashboard(ctx, ws.OrgID, v.ID)
	if err != nil {
		return fmt.Errorf("load dashboard of %s: %w", ws.Slug, err)
	}

	view := dashboardView(ws.Slug, d)
	shell := s.shellFor(r, "Dashboard", components.SectionDashboard)
	s.render(w, r, http.StatusOK, components.DashboardPage(shell, view),
		components.Dashboard(view))
	return nil
}

func dashboardView(slug string, d db.Dashboard) components.DashboardView {
	base := "/o/" + slug
	v := components.DashboardView{Activity: activityView(d.Activity), BasePath: base}
	for _, t := range d.Tasks {
		task := components.DashboardTask{ID: t.ID.String(), Title: t.Title, Status: t.Status,
			Mine: t.Mine, Overdue: t.Overdue, Due: t.DueDate}
		if t.AssigneeName != nil {
			task.Assignee = *t.AssigneeName
		}
		v.Tasks = append(v.Tasks, task)
	}
	for _, t := range d.Threads {
		v.Threads = append(v.Threads, components.DashboardThread{ID: t.ID.String(),
			Title: t.Title, Unread: t.Unread, LastMessageAt: t.LastMessageAt})
	}
	for _, f := range d.Files {
		v.Files = append(v.Files, components.DashboardFile{ID: f.ID.String(),
			Name: f.Filename, Size: f.Size, Uploader: f.UploaderName, At: f.CreatedAt})
	}
	return v
}

func activityView(rows []db.ListRecentActivityRow) []components.ActivityEntry {
	out := make([]components.ActivityEntry, 0, len(rows))
	for _, a := range rows {
		e := components.ActivityEntry{Action: a.Action, Summary: a.Summary, At: a.CreatedAt,
			Actor: "Someone"}
		if a.ActorName != nil {
			e.Actor = *a.ActorName
		}
		out = append(out, e)
	}
	return out
}
