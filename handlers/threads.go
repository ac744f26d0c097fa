package handlers

import "github.com/jusb/portal/components"

// threadRoutes declares the routes of the threads area, which is not built yet.
func (s *Server) threadRoutes() []Route {
	return []Route{
		rt("GET", "/o/{slug}/threads", Member,
			s.areaNotBuilt(components.SectionThreads, "Message threads are")),
	}
}
