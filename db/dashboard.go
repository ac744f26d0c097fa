package db

import (
	"context"

	"github.com/google/uuid"
)

// Dashboard is what the workspace dashboard shows.
type Dashboard struct {
	Tasks    []ListDashboardTasksRow
	Threads  []ListDashboardUnreadThreadsRow
	Files    []ListDashboardFilesRow
	Activity []ListRecentActivityRow
}

// DashboardRows is how many rows each widget of the dashboard shows.
const DashboardRows = 8

// LoadDashboard reads every widget of viewer's dashboard in org in one round trip.
func (s *Store) LoadDashboard(ctx context.Context, org OrgID, viewer uuid.UUID) (
	Dashboard, error) {
	var d Dashboard
	n := int32(DashboardRows)
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readMany(r, listDashboardTasks, &d.Tasks, viewer, org, n)
		readMany(r, listDashboardUnreadThreads, &d.Threads, viewer, org, n)
		readMany(r, listDashboardFiles, &d.Files, org, n)
		readMany(r, listRecentActivity, &d.Activity, org, n)
	})
	return d, err
}
