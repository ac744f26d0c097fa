package handlers

import "github.com/jusb/portal/components"

// taskRoutes declares the routes of the tasks area, which is not built yet.
func (s *Server) taskRoutes() []Route {
	return []Route{
		rt("GET", "/o/{slug}/tasks", Member,
			s.areaNotBuilt(components.SectionTasks, "Tasks and notes are")),
	}
}
