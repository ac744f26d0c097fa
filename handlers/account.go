package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/password"
)

// sessionNotice carries a confirmation from a form post to the page it redirects to.
const sessionNotice = "notice"

// accountPage is the signed-in user's account: change password, two-factor sign-in.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	view, err := s.accountView(r)
	if err != nil {
		return err
	}
	view.Notice = s.sessions.PopString(r.Context(), sessionNotice)
	return s.renderAccount(w, r, http.StatusOK, view)
}

// changePassword sets a new password after checking the current one. Every other
// session of the user ends (the session version goes up); this one moves to the new
// version with a new token, so the user stays signed in here.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, _ := ViewerFrom(ctx)
	view, err := s.accountView(r)
	if err != nil {
		return err
	}
	form := &view.Password
	form.Errors = components.FieldErrors{}

	if s.accounts.passwordByUser.OnLimit(w, r, "user:"+v.ID.String()) {
		form.Error = "Too many attempts. Wait a few minutes and try again."
		return s.renderAccount(w, r, http.StatusTooManyRequests, view)
	}
	current, newPW := r.PostFormValue("current_password"), r.PostFormValue("new_password")
	ok, err := s.checkOwnPassword(r, v, current)
	if err != nil {
		return err
	}
	if !ok {
		form.Errors["current_password"] = "Your current password is not right."
		s.logSecurityEvent(ctx, "user.password_change_refused", v.OrgID, v.ID,
			"wrong current password")
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, view)
	}
	checkNewPassword(form.Errors, newPW, r.PostFormValue("confirm_password"), v.Email,
		v.Name)
	if len(form.Errors) > 0 {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, view)
	}
	hash, err := s.hasher.Hash(ctx, newPW)
	if err != nil {
		return err
	}

	var version int32
	err = s.store.InOrg(ctx, v.OrgID, func(q *db.Queries) (err error) {
		version, err = q.ChangeUserPassword(ctx, db.ChangeUserPasswordParams{
			PasswordHash: hash, OrgID: v.OrgID, ID: v.ID})
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		return s.recordSecurityEvent(ctx, q, v.OrgID, securityEvent{
			Action: "user.password_changed", Actor: &v.ID, User: v.ID, UserName: v.Name})
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}

	if err := s.sessions.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session token: %w", err)
	}
	s.sessions.Put(ctx, sessionVersion, int(version))
	s.regenerateCSRF(w, r)
	s.sessions.Put(ctx, sessionNotice,
		"Your password was changed. You are signed out on every other device.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

// checkOwnPassword reports whether pw is the signed-in user's password.
func (s *Server) checkOwnPassword(r *http.Request, v Viewer, pw string) (bool, error) {
	ctx := r.Context()
	if pw == "" {
		return false, nil
	}
	var user db.GetSignInUserRow
	err := s.store.InOrg(ctx, v.OrgID, func(q *db.Queries) (err error) {
		user, err = q.GetSignInUser(ctx, db.GetSignInUserParams{OrgID: v.OrgID, ID: v.ID})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("load password hash: %w", err)
	}
	err = s.hasher.Verify(ctx, user.PasswordHash, pw)
	switch {
	case errors.Is(err, password.ErrMismatch):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("verify password: %w", err)
	}
	return true, nil
}

// accountView is the account page's view model, without any form state.
func (s *Server) accountView(r *http.Request) (components.AccountView, error) {
	ctx := r.Context()
	v, _ := ViewerFrom(ctx)
	view := components.AccountView{Name: v.Name, Email: v.Email, OrgName: v.OrgName,
		TwoFactor: v.TwoFactor, IsStaff: v.IsStaff()}
	if !v.TwoFactor {
		return view, nil
	}
	err := s.store.InOrg(ctx, v.OrgID, func(q *db.Queries) (err error) {
		view.RecoveryLeft, err = q.CountRecoveryCodesLeft(ctx,
			db.CountRecoveryCodesLeftParams{OrgID: v.OrgID, UserID: v.ID})
		return err
	})
	if err != nil {
		return view, fmt.Errorf("count recovery codes: %w", err)
	}
	return view, nil
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int,
	view components.AccountView) error {
	s.render(w, r, status, components.AccountPage(s.pageFor(r, "Your account"), view), nil)
	return nil
}
