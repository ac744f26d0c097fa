package handlers

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/email"
	"github.com/jusb/portal/handlers/password"
)

func init() { registerComposer(mailPasswordReset, composePasswordReset) }

func (s *Server) forgotPasswordPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderForgot(w, r, http.StatusOK, components.ForgotPasswordForm{})
}

// forgotPassword queues a reset link for the address, if it belongs to an active
// account. The answer is the same whether or not it does: the page says a link was
// sent if an account exists, and only the owner's mailbox tells.
func (s *Server) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	form := components.ForgotPasswordForm{Email: normalizeEmail(r.PostFormValue("email"))}

	if form.Email == "" || len(form.Email) > 254 {
		form.Error = "Enter the e-mail address you sign in with."
		return s.renderForgot(w, r, http.StatusUnprocessableEntity, form)
	}
	if s.accounts.resetByEmail.OnLimit(w, r, "email:"+form.Email) {
		s.logSecurityEvent(ctx, "user.password_reset_rate_limited", db.OrgID{}, uuid.Nil, "")
		form.Error = "Too many links were asked for this address. Wait an hour and try again."
		return s.renderForgot(w, r, http.StatusTooManyRequests, form)
	}

	if err := s.requestPasswordReset(ctx, form.Email); err != nil {
		return err
	}
	form.Sent = true
	return s.renderForgot(w, r, http.StatusOK, form)
}

// requestPasswordReset starts a reset for the account with this address, when there is
// one that may sign in: earlier links stop working, and the e-mail is queued in the
// same transaction. Unknown addresses go to the structured log only.
func (s *Server) requestPasswordReset(ctx context.Context, addr string) error {
	var user db.GetUserByEmailGlobalRow
	err := s.store.ForSignIn(ctx, addr, func(q *db.Queries) (err error) {
		user, err = q.GetUserByEmailGlobal(ctx, db.GetUserByEmailGlobalParams{Email: addr})
		return err
	})
	switch {
	case errors.Is(err, db.ErrNotFound):
		s.logSecurityEvent(ctx, "user.password_reset_requested", db.OrgID{}, uuid.Nil,
			"unknown address")
		return nil
	case err != nil:
		return fmt.Errorf("look up user for password reset: %w", err)
	}

	return s.store.InOrg(ctx, user.OrgID, func(q *db.Queries) error {
		detail := ""
		switch {
		case !user.IsActive:
			detail = "deactivated, no link sent"
		case user.OrgArchivedAt != nil:
			detail = "organization archived, no link sent"
		}
		if detail == "" {
			if err := s.issuePasswordReset(ctx, q, user); err != nil {
				return err
			}
		}
		return s.recordSecurityEvent(ctx, q, user.OrgID, securityEvent{
			Action: "user.password_reset_requested", User: user.ID,
			UserName: user.Name, Detail: detail})
	})
}

// issuePasswordReset ends the user's earlier resets and queues the e-mail of a new one.
// The row starts with a random placeholder hash; the composer sets the real one.
func (s *Server) issuePasswordReset(ctx context.Context, q *db.Queries,
	user db.GetUserByEmailGlobalRow) error {
	err := q.ExpirePasswordResets(ctx, db.ExpirePasswordResetsParams{OrgID: user.OrgID,
		UserID: user.ID})
	if err != nil {
		return fmt.Errorf("expire earlier password resets: %w", err)
	}
	placeholder := make([]byte, 32)
	_, _ = rand.Read(placeholder)
	id, err := q.CreatePasswordReset(ctx, db.CreatePasswordResetParams{OrgID: user.OrgID,
		UserID: user.ID, TokenHash: placeholder})
	if err != nil {
		return fmt.Errorf("create password reset: %w", err)
	}
	return s.queueMail(ctx, q, user.OrgID, mailPasswordReset, id, user.Email)
}

// composePasswordReset issues the reset's token when its e-mail is sent: only the hash
// is stored, and each attempt issues a fresh one, so only the last e-mail's link works.
func composePasswordReset(s *Server, ctx context.Context, q *db.Queries, org db.OrgID,
	ref uuid.UUID) (email.Message, error) {
	token, hash := newToken()
	row, err := q.SetPasswordResetToken(ctx, db.SetPasswordResetTokenParams{
		TokenHash: hash, OrgID: org, ID: ref})
	if err != nil {
		return email.Message{}, fmt.Errorf("issue password reset token: %w", err)
	}
	data := struct{ Name, Email, Link, Expires string }{Name: row.Name, Email: row.Email,
		Link:    s.publicURL("/password/reset?token=" + url.QueryEscape(token)),
		Expires: components.DateTime(row.ExpiresAt)}
	subject, text, html, err := email.Render("password_reset", data)
	if err != nil {
		return email.Message{}, err
	}
	return email.Message{To: row.Email, Subject: subject, Text: text, HTML: html}, nil
}

// resetPasswordPage is where a reset link leads: the new-password form, or a page
// saying the link no longer works.
func (s *Server) resetPasswordPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	reset, ok, err := s.findPasswordReset(r.Context(), token)
	if err != nil {
		return err
	}
	if !ok {
		return s.renderResetInvalid(w, r)
	}
	form := components.ResetPasswordForm{Token: token, Email: reset.Email}
	return s.renderReset(w, r, http.StatusOK, form)
}

// resetPassword sets the new password of a reset link: the link is claimed once (a
// second use finds it used), the password checked against the rules, every session of
// the user ended. Nobody is signed in by it: the sign-in that follows asks for the
// second factor as usual.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	token := r.PostFormValue("token")
	reset, ok, err := s.findPasswordReset(ctx, token)
	if err != nil {
		return err
	}
	if !ok {
		return s.renderResetInvalid(w, r)
	}

	form := components.ResetPasswordForm{Token: token, Email: reset.Email,
		Errors: components.FieldErrors{}}
	newPW := r.PostFormValue("new_password")
	checkNewPassword(form.Errors, newPW, r.PostFormValue("confirm_password"),
		reset.Email, reset.Name)
	if len(form.Errors) > 0 {
		return s.renderReset(w, r, http.StatusUnprocessableEntity, form)
	}
	hash, err := s.hasher.Hash(ctx, newPW)
	if err != nil {
		return err
	}

	used := false
	err = s.store.InOrg(ctx, reset.OrgID, func(q *db.Queries) error {
		_, err := q.UsePasswordReset(ctx, db.UsePasswordResetParams{OrgID: reset.OrgID,
			ID: reset.ID, TokenHash: hashToken(token)})
		if errors.Is(err, db.ErrNotFound) {
			return nil // used meanwhile by another request
		}
		if err != nil {
			return fmt.Errorf("claim password reset: %w", err)
		}
		used = true
		if _, err := q.ChangeUserPassword(ctx, db.ChangeUserPasswordParams{
			PasswordHash: hash, OrgID: reset.OrgID, ID: reset.UserID}); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		return s.recordSecurityEvent(ctx, q, reset.OrgID, securityEvent{
			Action: "user.password_reset", User: reset.UserID, UserName: reset.Name,
			Detail: "with an e-mailed link"})
	})
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if !used {
		return s.renderResetInvalid(w, r)
	}

	if _, signedIn := ViewerFrom(ctx); signedIn {
		if err := s.sessions.Destroy(ctx); err != nil {
			return fmt.Errorf("destroy session: %w", err)
		}
		s.regenerateCSRF(w, r)
	}
	form2 := components.SignInForm{Email: reset.Email,
		Notice: "Your new password is set and you are signed out everywhere. " +
			"Sign in with it."}
	return s.renderSignIn(w, r, http.StatusOK, form2)
}

// findPasswordReset looks a token up through the narrow reset path and reports whether
// it is a reset that may still be used.
func (s *Server) findPasswordReset(ctx context.Context, token string) (
	db.GetPasswordResetByTokenGlobalRow, bool, error) {
	var reset db.GetPasswordResetByTokenGlobalRow
	if token == "" || len(token) > 100 {
		return reset, false, nil
	}
	err := s.store.ForPasswordReset(ctx, hashToken(token), func(q *db.Queries) (err error) {
		reset, err = q.GetPasswordResetByTokenGlobal(ctx,
			db.GetPasswordResetByTokenGlobalParams{TokenHash: hashToken(token)})
		return err
	})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return reset, false, nil
	case err != nil:
		return reset, false, fmt.Errorf("look up password reset: %w", err)
	}
	ok := reset.UsedAt == nil && time.Now().Before(reset.ExpiresAt) && reset.IsActive &&
		reset.OrgArchivedAt == nil
	return reset, ok, nil
}

// checkNewPassword puts what is wrong with a new password and its confirmation into
// errs, under the fields' names.
func checkNewPassword(errs components.FieldErrors, pw, confirm, emailAddr, name string) {
	if err := password.Validate(pw, emailAddr, name); err != nil {
		errs["new_password"] = passwordMessage(err)
		return
	}
	if confirm != pw {
		errs["confirm_password"] = "The two new passwords are not the same."
	}
}

// passwordMessage is Validate's reason as people read it.
func passwordMessage(err error) string {
	var refused password.Refused
	if errors.As(err, &refused) {
		return string(refused)
	}
	return "This password cannot be used."
}

func (s *Server) renderForgot(w http.ResponseWriter, r *http.Request, status int,
	form components.ForgotPasswordForm) error {
	s.render(w, r, status, components.ForgotPasswordPage(s.pageFor(r,
		"Forgot your password?"), form), nil)
	return nil
}

func (s *Server) renderReset(w http.ResponseWriter, r *http.Request, status int,
	form components.ResetPasswordForm) error {
	s.render(w, r, status, components.ResetPasswordPage(s.pageFor(r,
		"Choose a new password"), form), nil)
	return nil
}

// renderResetInvalid answers a link that is unknown, used or expired alike, with 410.
func (s *Server) renderResetInvalid(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusGone, components.ResetLinkInvalidPage(s.pageFor(r,
		"This link no longer works")), nil)
	return nil
}
