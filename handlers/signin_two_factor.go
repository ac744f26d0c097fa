package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// Session keys of a half-finished sign-in: the password was right, the second factor
// is to come. None of them grants access; only sessionUserID does.
const (
	sessionPendingUser    = "pending_user_id"
	sessionPendingOrg     = "pending_org_id"
	sessionPendingVersion = "pending_session_version"
	sessionPendingSince   = "pending_since"
	sessionPendingNext    = "pending_next"
)

// pendingTTL is how long the second step may wait for its code.
const pendingTTL = 5 * time.Minute

// errBadCode is the one answer to a wrong, reused or malformed code.
const errBadCode = "That code is not right, or was already used. Enter the code your " +
	"app shows now, or a recovery code."

// pendingSignIn is the half-finished sign-in kept in the session.
type pendingSignIn struct {
	user    uuid.UUID
	org     db.OrgID
	version int
	next    string
}

// beginTwoFactor keeps a sign-in whose password was right waiting for the code: a new
// session token (as at any change of who is signed in), the pending user, no access.
func (s *Server) beginTwoFactor(w http.ResponseWriter, r *http.Request,
	user db.GetUserByEmailGlobalRow, next string) error {
	ctx := r.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session token: %w", err)
	}
	s.sessions.Put(ctx, sessionPendingUser, user.ID.String())
	s.sessions.Put(ctx, sessionPendingOrg, user.OrgID.String())
	s.sessions.Put(ctx, sessionPendingVersion, int(user.SessionVersion))
	s.sessions.Put(ctx, sessionPendingSince, s.cfg.Clock().Unix())
	s.sessions.Put(ctx, sessionPendingNext, next)
	s.logSecurityEvent(ctx, "user.password_accepted", user.OrgID, user.ID,
		"second factor to come")
	http.Redirect(w, r, "/signin/two-factor", http.StatusSeeOther)
	return nil
}

// pending reads the half-finished sign-in, if there is one that has not expired.
func (s *Server) pending(ctx context.Context) (pendingSignIn, bool) {
	var p pendingSignIn
	since := s.sessions.GetInt64(ctx, sessionPendingSince)
	if since == 0 || s.cfg.Clock().Sub(time.Unix(since, 0)) > pendingTTL {
		return p, false
	}
	user, err := uuid.Parse(s.sessions.GetString(ctx, sessionPendingUser))
	if err != nil {
		return p, false
	}
	org, err := db.ParseOrgID(s.sessions.GetString(ctx, sessionPendingOrg))
	if err != nil {
		return p, false
	}
	p = pendingSignIn{user: user, org: org, version: s.sessions.GetInt(ctx,
		sessionPendingVersion), next: s.sessions.GetString(ctx, sessionPendingNext)}
	return p, true
}

func (s *Server) clearPending(ctx context.Context) {
	for _, k := range []string{sessionPendingUser, sessionPendingOrg, sessionPendingVersion,
		sessionPendingSince, sessionPendingNext} {
		s.sessions.Remove(ctx, k)
	}
}

func (s *Server) twoFactorPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := s.pending(r.Context()); !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	return s.renderTwoFactor(w, r, http.StatusOK, components.TwoFactorForm{})
}

// twoFactorSignIn is the second step of a sign-in: a TOTP code of a step not used
// before, or an unused recovery code, finishes it. Codes are limited per user (and per
// address by the route), like passwords.
func (s *Server) twoFactorSignIn(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, ok := s.pending(ctx)
	if !ok {
		s.clearPending(ctx)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	if s.accounts.twoFactorByUser.OnLimit(w, r, "user:"+p.user.String()) {
		s.logSecurityEvent(ctx, "user.two_factor_rate_limited", p.org, p.user, "")
		return s.renderTwoFactor(w, r, http.StatusTooManyRequests, components.TwoFactorForm{
			Error: "Too many codes were tried. Wait a few minutes and try again."})
	}

	code := r.PostFormValue("code")
	var user db.GetSignInUserRow
	var how string
	err := s.store.InOrg(ctx, p.org, func(q *db.Queries) (err error) {
		user, err = q.GetSignInUser(ctx, db.GetSignInUserParams{OrgID: p.org, ID: p.user})
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		if !user.IsActive || user.OrgArchivedAt != nil ||
			int(user.SessionVersion) != p.version {
			return errSessionEnded // deactivated, or the password changed meanwhile
		}
		how, err = s.checkSecondFactor(ctx, q, p.org, p.user, code)
		if err != nil || how != "" {
			return err
		}
		return s.recordSecurityEvent(ctx, q, p.org, securityEvent{
			Action: "user.sign_in_failed", User: user.ID, UserName: user.Name,
			Detail: "wrong second-factor code"})
	})
	switch {
	case errors.Is(err, errSessionEnded):
		s.clearPending(ctx)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	case err != nil:
		return fmt.Errorf("check second factor: %w", err)
	case how == "":
		return s.renderTwoFactor(w, r, http.StatusUnauthorized,
			components.TwoFactorForm{Error: errBadCode})
	}

	s.clearPending(ctx)
	signedIn := db.GetUserByEmailGlobalRow(user)
	if err := s.startSession(w, r, signedIn, how); err != nil {
		return err
	}
	v := Viewer{Role: user.Role, OrgSlug: user.OrgSlug}
	http.Redirect(w, r, orDefault(p.next, homeURL(v)), http.StatusSeeOther)
	return nil
}

// checkSecondFactor takes code as the user's TOTP code or recovery code, each at most
// once, and says which it was ("authenticator app", "recovery code"), or "" when it is
// neither.
func (s *Server) checkSecondFactor(ctx context.Context, q *db.Queries, org db.OrgID,
	user uuid.UUID, code string) (string, error) {
	if isTOTPCode(code) {
		t, err := q.GetUserTOTP(ctx, db.GetUserTOTPParams{OrgID: org, UserID: user})
		if errors.Is(err, db.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("load TOTP key: %w", err)
		}
		secret, err := s.totp.open(user, t.Secret)
		if err != nil {
			return "", err
		}
		step, ok := matchTOTP(secret, code, time.Now())
		if !ok {
			return "", nil
		}
		n, err := q.UseTOTPStep(ctx, db.UseTOTPStepParams{Step: &step, OrgID: org,
			UserID: user})
		if err != nil || n == 0 {
			return "", err
		}
		return "authenticator app", nil
	}
	if len(code) == 0 || len(code) > 40 {
		return "", nil
	}
	n, err := q.UseRecoveryCode(ctx, db.UseRecoveryCodeParams{OrgID: org, UserID: user,
		CodeHash: recoveryCodeHash(code)})
	if err != nil || n == 0 {
		return "", err
	}
	return "recovery code", nil
}

func (s *Server) renderTwoFactor(w http.ResponseWriter, r *http.Request, status int,
	form components.TwoFactorForm) error {
	s.render(w, r, status, components.TwoFactorSignInPage(s.pageFor(r, "Enter your code"),
		form), nil)
	return nil
}
