package handlers

import "github.com/jusb/portal/components"

// fileRoutes declares the routes of the files area, which is not built yet.
func (s *Server) fileRoutes() []Route {
	return []Route{
		rt("GET", "/o/{slug}/files", Member,
			s.areaNotBuilt(components.SectionFiles, "File exchange is")),
	}
}
