package handlers

import "github.com/jusb/portal/components"

// activityRoutes declares the routes of the activity area, which is not built yet.
func (s *Server) activityRoutes() []Route {
	return []Route{
		rt("GET", "/o/{slug}/activity", Member,
			s.areaNotBuilt(components.SectionActivity, "The activity log is")),
	}
}
