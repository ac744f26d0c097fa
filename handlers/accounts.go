package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"
	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

// AccountsConfig holds the rate limits of the credential routes (docs/accounts.md).
type AccountsConfig struct {
	// ResetPerIP and ResetPerEmail limit requests for a reset link; 10 in 10 minutes
	// per client address and 3 an hour per e-mail address by default.
	ResetPerIP, ResetPerEmail Rate
	// TwoFactorPerIP and TwoFactorPerUser limit second-factor codes at sign-in; 20 a
	// minute per address and 5 in 5 minutes per user by default.
	TwoFactorPerIP, TwoFactorPerUser Rate
	// PasswordPerUser limits the checks of a signed-in user's password or code (change
	// password, turn off two-factor sign-in); 10 in 10 minutes by default.
	PasswordPerUser Rate
}

func (c *AccountsConfig) setDefaults() {
	orDefaultRate(&c.ResetPerIP, Rate{Count: 10, Window: 10 * time.Minute})
	orDefaultRate(&c.ResetPerEmail, Rate{Count: 3, Window: time.Hour})
	orDefaultRate(&c.TwoFactorPerIP, Rate{Count: 20, Window: time.Minute})
	orDefaultRate(&c.TwoFactorPerUser, Rate{Count: 5, Window: 5 * time.Minute})
	orDefaultRate(&c.PasswordPerUser, Rate{Count: 10, Window: 10 * time.Minute})
}

func orDefaultRate(r *Rate, def Rate) {
	if r.Count == 0 {
		*r = def
	}
}

// accountLimits are the counters the credential handlers consult themselves, keyed by
// something only known once the form is read (an address, a user).
type accountLimits struct {
	resetByEmail, twoFactorByUser, passwordByUser *httprate.RateLimiter
}

func (s *Server) newAccountLimits(c AccountsConfig) accountLimits {
	limiter := func(name string, r Rate) *httprate.RateLimiter {
		return httprate.NewRateLimiter(r.Count, r.Window,
			httprate.WithLimitCounter(s.sharedCounter(name)))
	}
	return accountLimits{resetByEmail: limiter("password reset by e-mail", c.ResetPerEmail),
		twoFactorByUser: limiter("second factor by user", c.TwoFactorPerUser),
		passwordByUser:  limiter("password check by user", c.PasswordPerUser)}
}

// accountRoutes are the credential routes: the password reset, the second step of a
// sign-in and the signed-in user's account pages.
func (s *Server) accountRoutes() []Route {
	return []Route{
		rt("GET", "/password/forgot", Public, s.forgotPasswordPage),
		rt("POST", "/password/forgot", Public, s.forgotPassword).
			withLimit(s.limitByIP("password reset", s.cfg.Accounts.ResetPerIP)),
		rt("GET", "/password/reset", Public, s.resetPasswordPage),
		rt("POST", "/password/reset", Public, s.resetPassword).
			withLimit(s.limitByIP("new password", s.cfg.Accounts.ResetPerIP)),

		rt("GET", "/signin/two-factor", Public, s.twoFactorPage),
		rt("POST", "/signin/two-factor", Public, s.twoFactorSignIn).
			withLimit(s.limitByIP("two-factor", s.cfg.Accounts.TwoFactorPerIP)),

		rt("GET", "/account", Account, s.accountPage),
		rt("POST", "/account/password", Account, s.changePassword),
		rt("GET", "/account/two-factor", Account, s.twoFactorSetupPage).allowBeforeEnrolment(),
		rt("POST", "/account/two-factor", Account, s.enableTwoFactor).allowBeforeEnrolment(),
		rt("POST", "/account/two-factor/disable", Account, s.disableTwoFactor),
		rt("POST", "/account/two-factor/recovery-codes", Account, s.renewRecoveryCodes),
	}
}

// allowBeforeEnrolment lets staff without two-factor sign-in use the route.
func (r Route) allowBeforeEnrolment() Route {
	r.beforeEnrolment = true
	return r
}

// requireStaffTwoFactor sends JusB staff who have not set up two-factor sign-in to
// do so before any page but the enrolment itself (and the public ones) works.
func (s *Server) requireStaffTwoFactor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := ViewerFrom(r.Context())
		if !ok || !v.IsStaff() || v.TwoFactor {
			next.ServeHTTP(w, r)
			return
		}
		const target = "/account/two-factor"
		if r.Header.Get("HX-Request") == "true" {
			w.Header().Set("HX-Redirect", target)
			w.WriteHeader(http.StatusForbidden)
			return
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
}

// limitByIP limits a route's requests per client address (limitPerAddress); what
// passes the limit gets 429 with a plain page.
func (s *Server) limitByIP(what string, rate Rate) func(http.Handler) http.Handler {
	return s.limitPerAddress(what, rate, func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn(what+" rate limited",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("scope", "ip"),
			slog.String("client_ip", middleware.GetClientIP(r.Context())))
		s.renderError(w, r, http.StatusTooManyRequests,
			"Too many attempts from your network. Wait a few minutes and try again.")
	})
}

// limitPerAddress limits a route's requests per client address (IPv6 by its /64),
// counted across the portal's processes as the limit called name; refuse answers a
// request past it.
func (s *Server) limitPerAddress(name string, rate Rate,
	refuse http.HandlerFunc) func(http.Handler) http.Handler {
	return httprate.LimitBy(rate.Count, rate.Window,
		func(r *http.Request) (string, error) {
			return httprate.CanonicalizeIP(middleware.GetClientIP(r.Context())), nil
		},
		httprate.WithLimitCounter(s.sharedCounter(name+" by address")),
		httprate.WithLimitHandler(refuse))
}

// securityEvent is one security-relevant event: it goes to the structured log and,
// when the organization is known, to that organization's activity log.
type securityEvent struct {
	// Action is the activity action, such as "user.password_changed".
	Action string
	// Actor did it; nil when nobody is signed in (a failed sign-in).
	Actor *uuid.UUID
	// User is whose account it concerns.
	User     uuid.UUID
	UserName string
	// Detail is a few words for people, never a secret ("wrong password").
	Detail string
}

// recordSecurityEvent writes e to org's activity log inside q's transaction and to
// the structured log. The log line carries IDs and the detail, nothing typed by the
// user.
func (s *Server) recordSecurityEvent(ctx context.Context, q *db.Queries, org db.OrgID,
	e securityEvent) error {
	summary := e.UserName
	if e.Detail != "" {
		summary += " (" + e.Detail + ")"
	}
	user := e.User
	c := change{Action: e.Action, TargetType: "user", TargetID: &user, Summary: summary}
	var err error
	if e.Actor != nil {
		err = recordActivity(ctx, q, org, *e.Actor, c)
	} else {
		err = q.CreateActivity(ctx, db.CreateActivityParams{OrgID: org, Action: c.Action,
			TargetType: c.TargetType, TargetID: c.TargetID, Summary: summary})
	}
	if err != nil {
		return err
	}
	s.logSecurityEvent(ctx, e.Action, org, e.User, e.Detail)
	return nil
}

// logSecurityEvent writes a security event to the structured log only.
func (s *Server) logSecurityEvent(ctx context.Context, action string, org db.OrgID,
	user uuid.UUID, detail string) {
	attrs := []any{slog.String("request_id", middleware.GetReqID(ctx)),
		slog.String("event", action),
		slog.String("client_ip", middleware.GetClientIP(ctx))}
	if user != uuid.Nil {
		attrs = append(attrs, slog.String("user_id", user.String()),
			slog.String("org_id", org.String()))
	}
	if detail != "" {
		attrs = append(attrs, slog.String("detail", detail))
	}
	s.log.Info("security event", attrs...)
}
