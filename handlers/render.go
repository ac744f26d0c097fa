package handlers

import (
	"bytes"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/jusb/portal/components"
)

// isFragmentRequest reports whether the request wants a piece of a page: an HTMX
// request that is neither boosted nor a history restore. Everything else gets the
// whole page, so every URL still works when loaded directly or reloaded.
func isFragmentRequest(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" &&
		r.Header.Get("HX-Request-Type") != "full" &&
		r.Header.Get("HX-Boosted") != "true" &&
		r.Header.Get("HX-History-Restore-Request") != "true"
}

// render writes the fragment for an HTMX request and the page otherwise.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int,
	page, fragment templ.Component) {
	if fragment != nil && isFragmentRequest(r) {
		s.renderStatus(w, r, status, fragment)
		return
	}
	s.renderStatus(w, r, status, page)
}

// renderStatus renders c into a buffer first, so that a failing component yields a
// clean 500 rather than half a page.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int,
	c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.log.Error("render failed",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("path", r.URL.Path), slog.Any("error", err))
		http.Error(w, "Something went wrong on our side", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// pageFor returns the view model every full page needs.
func (s *Server) pageFor(r *http.Request, title string) components.Page {
	p := components.Page{Title: title}
	if v, ok := ViewerFrom(r.Context()); ok {
		p.User = &components.User{Name: v.Name, Email: v.Email, IsStaff: v.IsStaff(),
			HomeURL: homeURL(v)}
	}
	return p
}

// shellFor returns the view model of the workspace shell around a workspace page.
func (s *Server) shellFor(r *http.Request, title, section string) components.Shell {
	ws, _ := WorkspaceFrom(r.Context())
	return components.Shell{
		Page:       s.pageFor(r, title+" · "+ws.Name),
		OrgName:    ws.Name,
		OrgSlug:    ws.Slug,
		Section:    section,
		StaffVisit: ws.StaffVisit,
		Archived:   ws.Archived,
	}
}

// homeURL is where a user lands after signing in.
func homeURL(v Viewer) string {
	if v.IsStaff() {
		return "/admin"
	}
	return "/o/" + v.OrgSlug
}
