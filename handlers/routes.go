package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/jusb/portal/static"
)

// Access says who may use a route.
type Access int

// The access levels, from the most open.
const (
	// Public routes are open to anyone, signed in or not.
	Public Access = iota + 1
	// Account routes are open to anyone signed in, of any organization; they act on
	// the signed-in user's own account only.
	Account
	// Member routes live under /o/{slug} and are open to the organization's members
	// and to JusB staff.
	Member
	// ClientAdmin routes are Member routes open only to client_admins and staff.
	ClientAdmin
	// Staff routes are open only to JusB staff.
	Staff
)

func (a Access) String() string {
	switch a {
	case Public:
		return "public"
	case Account:
		return "account"
	case Member:
		return "member"
	case ClientAdmin:
		return "client_admin"
	case Staff:
		return "staff"
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// Route is one entry of the route table: every route the portal serves is declared
// here with who may use it, and nowhere else.
type Route struct {
	Method  string
	Pattern string
	Access  Access
	handle  handlerFunc
	// limit, if set, wraps the route in a rate limiter.
	limit func(http.Handler) http.Handler
	// maxBody, if set, replaces the 1 MiB cap on the request body (uploads).
	maxBody int64
	// beforeEnrolment lets staff without two-factor sign-in use the route; every
	// other route that is not Public sends them to enrol first.
	beforeEnrolment bool
}

func rt(method, pattern string, a Access, h handlerFunc) Route {
	return Route{Method: method, Pattern: pattern, Access: a, handle: h}
}

func (r Route) withLimit(limit func(http.Handler) http.Handler) Route {
	r.limit = limit
	return r
}

// withMaxBody lets the route's requests carry up to n bytes of body.
func (r Route) withMaxBody(n int64) Route {
	r.maxBody = n
	return r
}

// Routes returns the route table. Each workspace area declares its routes in its own
// file (threadRoutes in threads.go, and so on).
func (s *Server) Routes() []Route {
	routes := []Route{
		rt("GET", "/", Public, s.home),
		rt("GET", "/healthz", Public, s.healthz),
		rt("GET", "/readyz", Public, s.readyz),
		rt("GET", "/static/*", Public, serveStatic),
		rt("GET", "/signin", Public, s.signInPage),
		rt("POST", "/signin", Public, s.signIn).withLimit(s.signInLimitByIP()),
		rt("POST", "/signout", Public, s.signOut),

		rt("GET", "/o/{slug}", Member, s.dashboard),
	}
	for _, area := range [][]Route{s.threadRoutes(), s.fileRoutes(), s.taskRoutes(),
		s.activityRoutes(), s.adminRoutes(), s.accountRoutes(), s.peopleRoutes(),
		s.invitationRoutes(), s.adminUserRoutes()} {
		routes = append(routes, area...)
	}
	return routes
}

// Handler returns the portal's HTTP handler: the middleware chain around the router.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	if s.cfg.TrustedProxy {
		r.Use(middleware.ClientIPFromXFFTrustedProxies(1))
	} else {
		r.Use(middleware.ClientIPFromRemoteAddr)
	}
	routes := s.Routes()
	r.Use(s.logRequests, s.recoverPanics, s.secureHeaders, s.bodyLimits(routes))
	r.Use(func(next http.Handler) http.Handler {
		h := s.csrf(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), csrfKey, h)))
		})
	})
	r.Use(exposeCSRFToken)
	r.Use(s.sessions.LoadAndSave, s.authenticate)

	r.NotFound(s.adapt(func(http.ResponseWriter, *http.Request) error { return errNotFound }))
	r.MethodNotAllowed(s.adapt(func(http.ResponseWriter, *http.Request) error {
		return &httpError{status: http.StatusMethodNotAllowed, message: "Method not allowed"}
	}))

	for _, rt := range routes {
		h := s.guard(rt.Access, s.adapt(rt.handle))
		if rt.Access != Public && !rt.beforeEnrolment {
			h = s.requireStaffTwoFactor(h)
		}
		if rt.limit != nil {
			h = rt.limit(h)
		}
		r.Method(rt.Method, rt.Pattern, h)
	}
	return r
}

// guard enforces a route's access level before its handler runs.
func (s *Server) guard(a Access, next http.Handler) http.Handler {
	switch a {
	case Public:
		return next
	case Account:
		return s.adaptMiddleware(func(w http.ResponseWriter, r *http.Request) (*http.Request,
			error) {
			if _, ok := ViewerFrom(r.Context()); !ok {
				return nil, errSignInRequired
			}
			return r, nil
		}, next)
	case Member, ClientAdmin:
		return s.adaptMiddleware(func(w http.ResponseWriter, r *http.Request) (*http.Request,
			error) {
			return s.enterWorkspace(w, r, a)
		}, next)
	case Staff:
		return s.adaptMiddleware(func(w http.ResponseWriter, r *http.Request) (*http.Request,
			error) {
			v, ok := ViewerFrom(r.Context())
			if !ok {
				return nil, errSignInRequired
			}
			if !v.IsStaff() {
				return nil, errNotFound
			}
			return r, nil
		}, next)
	}
	panic(fmt.Sprintf("route without an access level: %v", a))
}

var errSignInRequired = errors.New("sign-in required")

// adaptMiddleware runs check before next; a nil request with an error stops the chain.
func (s *Server) adaptMiddleware(check func(http.ResponseWriter, *http.Request) (*http.Request,
	error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2, err := check(w, r)
		switch {
		case errors.Is(err, errSignInRequired):
			s.requireSignIn(w, r)
		case err != nil:
			s.fail(w, r, err)
		default:
			next.ServeHTTP(w, r2)
		}
	})
}

// enterWorkspace resolves /o/{slug} for the viewer. A member enters their own
// organization; staff enter any. Everyone else, and a slug that does not exist, gets
// the same 404. The organization comes from the URL alone, never from a form.
func (s *Server) enterWorkspace(_ http.ResponseWriter, r *http.Request, a Access) (*http.Request,
	error) {
	ctx := r.Context()
	v, ok := ViewerFrom(ctx)
	if !ok {
		return nil, errSignInRequired
	}
	slug := chi.URLParam(r, "slug")

	var ws Workspace
	switch {
	case slug == v.OrgSlug:
		ws = Workspace{OrgID: v.OrgID, Slug: v.OrgSlug, Name: v.OrgName, IsStaff: v.IsStaff()}
	case v.IsStaff() && v.slugOrg != nil && v.slugOrg.Slug == slug:
		org := v.slugOrg
		ws = Workspace{OrgID: org.ID, Slug: org.Slug, Name: org.Name, StaffVisit: true,
			Archived: org.ArchivedAt != nil, IsStaff: org.IsStaff}
	default:
		return nil, errNotFound
	}

	if a == ClientAdmin && v.Role != RoleClientAdmin && !v.IsStaff() {
		return nil, &httpError{status: http.StatusForbidden,
			message: "Only the organization's administrators may do this"}
	}
	if ws.StaffVisit {
		if err := s.staffVisit(r, v, ws); err != nil {
			return nil, err
		}
	}
	return r.WithContext(withWorkspace(ctx, ws)), nil
}

// serveStatic serves the embedded CSS and JavaScript.
func serveStatic(w http.ResponseWriter, r *http.Request) error {
	if strings.HasSuffix(r.URL.Path, "/") {
		return errNotFound // no directory listings
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.StripPrefix("/static/", http.FileServerFS(static.Files)).ServeHTTP(w, r)
	return nil
}
