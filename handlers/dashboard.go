package handlers

import (
	"fmt"
	"net/http"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// dashboardActivityRows is how many activity entries the dashboard shows.
const dashboardActivityRows = 10

// dashboard shows what needs attention in the workspace. For now that is the latest
// activity; the threads, files and tasks widgets come with those areas.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)

	d, err := s.store.LoadDashboard(ctx, ws.OrgID, dashboardActivityRows)
	if err != nil {
		return fmt.Errorf("load dashboard of %s: %w", ws.Slug, err)
	}

	view := components.DashboardView{Activity: activityView(d.Activity)}
	shell := s.shellFor(r, "Dashboard", components.SectionDashboard)
	s.render(w, r, http.StatusOK, components.DashboardPage(shell, view),
		components.Dashboard(view))
	return nil
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

// areaNotBuilt serves a workspace area whose page does not exist yet. It says so
// plainly instead of pretending to work.
func (s *Server) areaNotBuilt(section, what string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		shell := s.shellFor(r, section, section)
		s.render(w, r, http.StatusOK, components.NotBuiltPage(shell, what), nil)
		return nil
	}
}
