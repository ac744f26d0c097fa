package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/justinas/nosurf"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/password"
)

// errBadCredentials is the one answer to every failed sign-in, whatever the reason,
// so that it tells nobody which addresses have accounts.
const errBadCredentials = "The e-mail address or the password is not right."

// home sends visitors where they belong: the sign-in page, or their landing page.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	v, ok := ViewerFrom(r.Context())
	if !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, homeURL(v), http.StatusSeeOther)
	return nil
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) error {
	next := localPath(r.URL.Query().Get("next"))
	if v, ok := ViewerFrom(r.Context()); ok {
		http.Redirect(w, r, orDefault(next, homeURL(v)), http.StatusSeeOther)
		return nil
	}

	form := components.SignInForm{Next: next}
	s.render(w, r, http.StatusOK, components.SignInPage(s.pageFor(r, "Sign in"), form), nil)
	return nil
}

// signIn checks an e-mail address and password. An unknown address, a wrong password
// and a deactivated account get the same answer after the same work: the password is
// always checked, against a decoy hash when there is no user.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	form := components.SignInForm{
		Email: normalizeEmail(r.PostFormValue("email")),
		Next:  localPath(r.PostFormValue("next")),
	}
	pw := r.PostFormValue("password")

	if form.Email == "" || pw == "" {
		form.Error = "Enter your e-mail address and your password."
		return s.renderSignIn(w, r, http.StatusUnprocessableEntity, form)
	}
	if s.signInByEmail.OnLimit(w, r, "email:"+form.Email) {
		s.log.Warn("sign-in rate limited",
			slog.String("request_id", middleware.GetReqID(ctx)), slog.String("scope", "email"))
		form.Error = "Too many attempts for this address. Wait a few minutes and try again."
		return s.renderSignIn(w, r, http.StatusTooManyRequests, form)
	}

	user, reason, err := s.checkCredentials(r, form.Email, pw)
	if err != nil {
		return err
	}
	if reason != "" {
		if err := s.recordSignInFailure(r, user, reason); err != nil {
			return err
		}
		form.Error = errBadCredentials
		return s.renderSignIn(w, r, http.StatusUnauthorized, form)
	}

	twoFactor, err := s.hasTwoFactor(ctx, user)
	if err != nil {
		return err
	}
	if twoFactor {
		return s.beginTwoFactor(w, r, user, form.Next)
	}
	if err := s.startSession(w, r, user, ""); err != nil {
		return err
	}
	v := Viewer{Role: user.Role, OrgSlug: user.OrgSlug}
	http.Redirect(w, r, orDefault(form.Next, homeURL(v)), http.StatusSeeOther)
	return nil
}

// checkCredentials returns the user when the password is right and the account may
// sign in, or the reason it may not, for the log.
func (s *Server) checkCredentials(r *http.Request, email, pw string) (
	db.GetUserByEmailGlobalRow, string, error) {
	ctx := r.Context()
	var user db.GetUserByEmailGlobalRow
	err := s.store.ForSignIn(ctx, email, func(q *db.Queries) (err error) {
		user, err = q.GetUserByEmailGlobal(ctx, db.GetUserByEmailGlobalParams{Email: email})
		return err
	})
	found := err == nil
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return user, "", fmt.Errorf("look up user for sign-in: %w", err)
	}

	hash := s.hasher.Decoy()
	if found {
		hash = user.PasswordHash
	}
	err = s.hasher.Verify(ctx, hash, pw)
	switch {
	case errors.Is(err, password.ErrMismatch):
		if !found {
			return user, "unknown_email", nil
		}
		return user, "wrong_password", nil
	case err != nil:
		return user, "", fmt.Errorf("verify password: %w", err)
	case !found:
		return user, "unknown_email", nil // a decoy match is still a failure
	case !user.IsActive:
		return user, "deactivated", nil
	case user.OrgArchivedAt != nil:
		return user, "organization_archived", nil
	}
	return user, "", nil
}

// recordSignInFailure logs a failed sign-in and, when the address belongs to an
// account, writes it to that organization's activity log with no actor: whoever tried
// is not known. A failure for an unknown address goes to the structured log only.
func (s *Server) recordSignInFailure(r *http.Request, user db.GetUserByEmailGlobalRow,
	reason string) error {
	ctx := r.Context()
	s.log.Warn("sign-in failed",
		slog.String("request_id", middleware.GetReqID(ctx)),
		slog.String("reason", reason),
		slog.String("client_ip", middleware.GetClientIP(ctx)))
	if reason == "unknown_email" {
		return nil
	}
	err := s.store.InOrg(ctx, user.OrgID, func(q *db.Queries) error {
		return s.recordSecurityEvent(ctx, q, user.OrgID, securityEvent{
			Action: "user.sign_in_failed", User: user.ID, UserName: user.Name,
			Detail: strings.ReplaceAll(reason, "_", " ")})
	})
	if err != nil {
		return fmt.Errorf("record failed sign-in: %w", err)
	}
	return nil
}

// hasTwoFactor reports whether the user signs in with a second factor.
func (s *Server) hasTwoFactor(ctx context.Context, user db.GetUserByEmailGlobalRow) (bool,
	error) {
	var has bool
	err := s.store.InOrg(ctx, user.OrgID, func(q *db.Queries) (err error) {
		has, err = q.HasTOTP(ctx, db.HasTOTPParams{OrgID: user.OrgID, UserID: user.ID})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("check second factor: %w", err)
	}
	return has, nil
}

// startSession renews the session token (so a token planted before sign-in is
// worthless), stores who signed in, renews the CSRF token and records the sign-in;
// secondFactor says how the second step was passed, if there was one.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request,
	user db.GetUserByEmailGlobalRow, secondFactor string) error {
	ctx := r.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session token: %w", err)
	}
	s.sessions.Put(ctx, sessionUserID, user.ID.String())
	s.sessions.Put(ctx, sessionOrgID, user.OrgID.String())
	s.sessions.Put(ctx, sessionVersion, int(user.SessionVersion))
	s.regenerateCSRF(w, r)

	err := s.store.InOrg(ctx, user.OrgID, func(q *db.Queries) error {
		if err := q.MarkUserSignedIn(ctx, db.MarkUserSignedInParams{OrgID: user.OrgID,
			ID: user.ID}); err != nil {
			return err
		}
		summary := user.Name
		if secondFactor != "" {
			summary += " (with " + secondFactor + ")"
		}
		return recordActivity(ctx, q, user.OrgID, user.ID, change{Action: "user.signed_in",
			TargetType: "user", TargetID: &user.ID, Summary: summary})
	})
	if err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	s.log.Info("signed in", slog.String("request_id", middleware.GetReqID(ctx)),
		slog.String("user_id", user.ID.String()), slog.String("org_id", user.OrgID.String()))
	return nil
}

// signOut ends the session: its row is deleted, the cookie cleared, and the next
// session gets a new token, as does the CSRF cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if v, ok := ViewerFrom(ctx); ok {
		err := s.store.InOrg(ctx, v.OrgID, func(q *db.Queries) error {
			return recordActivity(ctx, q, v.OrgID, v.ID, change{Action: "user.signed_out",
				TargetType: "user", TargetID: &v.ID, Summary: v.Name})
		})
		if err != nil {
			return fmt.Errorf("record sign-out: %w", err)
		}
		s.log.Info("signed out", slog.String("request_id", middleware.GetReqID(ctx)),
			slog.String("user_id", v.ID.String()))
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		return fmt.Errorf("destroy session: %w", err)
	}
	s.regenerateCSRF(w, r)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int,
	form components.SignInForm) error {
	s.render(w, r, status, components.SignInPage(s.pageFor(r, "Sign in"), form), nil)
	return nil
}

// regenerateCSRF gives the browser a new CSRF token when who is signed in changes.
func (s *Server) regenerateCSRF(w http.ResponseWriter, r *http.Request) {
	if h, ok := csrfFrom(r); ok {
		h.RegenerateToken(w, r)
	}
}

// signInLimitByIP limits sign-in posts per client address (IPv6 by its /64), counted
// across the portal's processes.
func (s *Server) signInLimitByIP() func(http.Handler) http.Handler {
	return s.limitPerAddress("sign-in", s.cfg.SignInPerIP,
		func(w http.ResponseWriter, r *http.Request) {
			s.log.Warn("sign-in rate limited",
				slog.String("request_id", middleware.GetReqID(r.Context())),
				slog.String("scope", "ip"))
			form := components.SignInForm{Error: "Too many sign-in attempts from your " +
				"network. Wait a minute and try again."}
			_ = s.renderSignIn(w, r, http.StatusTooManyRequests, form)
		})
}

// normalizeEmail trims and lowercases an address, as app_user.email is stored.
func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// localPath returns p when it is a path on this site and "" otherwise, so that a
// next= parameter can never send anyone to another site.
func localPath(p string) string {
	if len(p) == 0 || len(p) > 2000 || p[0] != '/' {
		return ""
	}
	if len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return ""
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	return p
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// csrfFrom finds the nosurf handler for this request.
func csrfFrom(r *http.Request) (csrfRegenerator, bool) {
	h, ok := r.Context().Value(csrfKey).(csrfRegenerator)
	return h, ok
}

type csrfRegenerator interface {
	RegenerateToken(w http.ResponseWriter, r *http.Request) string
}

var _ csrfRegenerator = (*nosurf.CSRFHandler)(nil)
