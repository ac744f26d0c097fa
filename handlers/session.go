package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/alexedwards/scs/v2"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

// Session keys. The session holds who signed in, never what they may do: the role and
// the active flag are read from the database on every request.
const (
	sessionUserID  = "user_id"
	sessionOrgID   = "org_id"
	sessionVersion = "session_version"
)

// sessionCookieName carries the __Host- prefix: Secure, Path=/, no Domain.
const sessionCookieName = "__Host-portal_session"

func newSessionManager(cfg Config, store scs.Store) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	// Lifetime is absolute. No IdleTimeout: it would rewrite the session row on every
	// request (see docs/architecture.md).
	sm.Lifetime = cfg.SessionLifetime
	sm.HashTokenInStore = true
	sm.Cookie.Name = sessionCookieName
	sm.Cookie.HttpOnly = true
	sm.Cookie.Secure = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false
	return sm
}

// authenticate reads the session's user from the database and puts them in the
// request's context. A session whose user is gone, deactivated, in an archived
// organization or signed out everywhere (a raised session version) is destroyed.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		userID := s.sessions.GetString(ctx, sessionUserID)
		if userID == "" {
			next.ServeHTTP(w, r)
			return
		}

		v, err := s.loadViewer(r)
		switch {
		case errors.Is(err, errSessionEnded):
			s.log.Info("session ended",
				slog.String("request_id", middleware.GetReqID(ctx)),
				slog.String("user_id", userID))
			if err := s.sessions.Destroy(ctx); err != nil {
				s.fail(w, r, fmt.Errorf("destroy ended session: %w", err))
				return
			}
			next.ServeHTTP(w, r)
		case err != nil:
			s.fail(w, r, err)
		default:
			next.ServeHTTP(w, r.WithContext(withViewer(ctx, v)))
		}
	})
}

var errSessionEnded = errors.New("session no longer valid")

// loadViewer reads the session's user and, for a /o/{slug} path, the organization of
// that slug, in one round trip (the workspace guard needs it for staff).
func (s *Server) loadViewer(r *http.Request) (Viewer, error) {
	ctx := r.Context()
	userID, err := uuid.Parse(s.sessions.GetString(ctx, sessionUserID))
	if err != nil {
		return Viewer{}, errSessionEnded
	}
	orgID, err := db.ParseOrgID(s.sessions.GetString(ctx, sessionOrgID))
	if err != nil {
		return Viewer{}, errSessionEnded
	}

	loaded, err := s.store.LoadViewer(ctx, orgID, userID, workspaceSlug(r.URL.Path))
	if errors.Is(err, db.ErrNotFound) {
		return Viewer{}, errSessionEnded
	}
	if err != nil {
		return Viewer{}, fmt.Errorf("load signed-in user: %w", err)
	}

	m := loaded.Member
	if !m.IsActive || m.OrgArchivedAt != nil ||
		int(m.SessionVersion) != s.sessions.GetInt(ctx, sessionVersion) {
		return Viewer{}, errSessionEnded
	}
	return Viewer{ID: m.ID, OrgID: m.OrgID, Email: m.Email, Name: m.Name, Role: m.Role,
		OrgSlug: m.OrgSlug, OrgName: m.OrgName, TwoFactor: m.TwoFactor,
		slugOrg: loaded.Workspace}, nil
}

// workspaceSlug returns the {slug} of a /o/{slug}/... path, or "".
func workspaceSlug(path string) string {
	rest, ok := strings.CutPrefix(path, "/o/")
	if !ok {
		return ""
	}
	slug, _, _ := strings.Cut(rest, "/")
	return slug
}

// requireSignIn sends a visitor who is not signed in to the sign-in page, coming back
// to this page afterwards. An HTMX request gets HX-Redirect, so the whole page moves
// instead of a sign-in form being swapped into a fragment.
func (s *Server) requireSignIn(w http.ResponseWriter, r *http.Request) {
	target := "/signin"
	if r.Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
