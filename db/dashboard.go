package db

import "context"

// Dashboard is what the workspace dashboard shows.
type Dashboard struct {
	Activity []ListRecentActivityRow
}

// LoadDashboard reads every widget of the dashboard in one round trip.
func (s *Store) LoadDashboard(ctx context.Context, org OrgID, activityRows int32) (
	Dashboard, error) {
	var d Dashboard
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readMany(r, listRecentActivity, &d.Activity, org, activityRows)
	})
	return d, err
}
