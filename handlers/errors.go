package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// handlerFunc is a handler that returns its failure instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// httpError is a failure with the status and the message a user may see; err, if
// any, is for the log only.
type httpError struct {
	status  int
	message string
	err     error
}

func (e *httpError) Error() string {
	if e.err != nil {
		return e.message + ": " + e.err.Error()
	}
	return e.message
}

func (e *httpError) Unwrap() error { return e.err }

// errNotFound is the answer for anything missing or not the viewer's to see: another
// organization's IDs answer exactly like IDs that do not exist.
var errNotFound = &httpError{status: http.StatusNotFound, message: "Page not found"}

// adapt turns a handlerFunc into an http.HandlerFunc: the one place where errors
// become a status, a log line and a page or fragment.
func (s *Server) adapt(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// fail logs err once, at a level chosen by its status, and renders a safe message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, message := http.StatusInternalServerError, "Something went wrong on our side"
	var he *httpError
	switch {
	case errors.As(err, &he):
		status, message = he.status, he.message
	case errors.Is(err, db.ErrNotFound):
		status, message = errNotFound.status, errNotFound.message
	case db.IsUnavailable(err) || db.IsStalePlan(err):
		status, message = http.StatusServiceUnavailable,
			"The portal is briefly unavailable. Try again in a minute."
		w.Header().Set("Retry-After", "30")
	}

	attrs := []any{
		slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.Int("status", status),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Any("error", err),
	}
	if status >= 500 {
		s.log.Error("request failed", attrs...)
	} else {
		s.log.Info("request refused", attrs...)
	}

	s.renderError(w, r, status, message)
}

// renderError writes a plain error page, or a small fragment for an HTMX request,
// retargeted to the page's flash area so it never replaces a piece of the page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	e := components.ErrorView{Status: status, Title: http.StatusText(status), Message: msg}
	if isFragmentRequest(r) {
		w.Header().Set("HX-Retarget", "#flash")
		w.Header().Set("HX-Reswap", "innerHTML")
		s.renderStatus(w, r, status, components.ErrorFlash(e))
		return
	}
	s.renderStatus(w, r, status, components.ErrorPage(s.pageFor(r, e.Title), e))
}
