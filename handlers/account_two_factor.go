package handlers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/pquerna/otp"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// sessionTOTPSetup holds the otpauth:// URL of the key being enrolled, until the first
// code proves the app has it; only then is the key stored with the user.
const sessionTOTPSetup = "totp_setup_url"

// twoFactorSetupPage shows the QR code and the key to enrol. The key is made once per
// session and kept there, so a reload shows the same one.
func (s *Server) twoFactorSetupPage(w http.ResponseWriter, r *http.Request) error {
	v, _ := ViewerFrom(r.Context())
	if v.TwoFactor {
		return s.accountPage(w, r) // already on: the account page says so
	}
	key, err := s.setupKey(r, v)
	if err != nil {
		return err
	}
	return s.renderTwoFactorSetup(w, r, http.StatusOK, key, "")
}

// enableTwoFactor turns two-factor sign-in on once a code of the key being enrolled
// is right, and shows the recovery codes, once.
func (s *Server) enableTwoFactor(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, _ := ViewerFrom(ctx)
	if v.TwoFactor {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	key, err := s.setupKey(r, v)
	if err != nil {
		return err
	}
	if s.accounts.passwordByUser.OnLimit(w, r, "user:"+v.ID.String()) {
		return s.renderTwoFactorSetup(w, r, http.StatusTooManyRequests, key,
			"Too many attempts. Wait a few minutes and try again.")
	}
	step, ok := matchTOTP(key.Secret(), r.PostFormValue("code"), time.Now())
	if !ok {
		return s.renderTwoFactorSetup(w, r, http.StatusUnprocessableEntity, key,
			"That code is not right. Enter the 6-digit code your app shows now.")
	}

	codes, hashes := newRecoveryCodes()
	err = s.store.InOrg(ctx, v.OrgID, func(q *db.Queries) error {
		err := q.EnableUserTOTP(ctx, db.EnableUserTOTPParams{OrgID: v.OrgID, UserID: v.ID,
			Secret: s.totp.seal(v.ID, key.Secret()), LastStep: &step})
		if err != nil {
			return fmt.Errorf("store TOTP key: %w", err)
		}
		if err := replaceRecoveryCodes(ctx, q, v, hashes); err != nil {
			return err
		}
		return s.recordSecurityEvent(ctx, q, v.OrgID, securityEvent{
			Action: "user.two_factor_enabled", Actor: &v.ID, User: v.ID, UserName: v.Name})
	})
	if db.IsUniqueViolation(err) {
		http.Redirect(w, r, "/account", http.StatusSeeOther) // enabled meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("enable two-factor sign-in: %w", err)
	}

	s.sessions.Remove(ctx, sessionTOTPSetup)
	s.render(w, r, http.StatusOK, components.RecoveryCodesPage(
		s.pageFor(r, "Two-factor sign-in is on"), codes, homeURL(v)), nil)
	return nil
}

// disableTwoFactor turns two-factor sign-in off, confirmed with the password or a
// code. Staff are then sent to enrol again at their next page, which is how they
// move to a new phone.
func (s *Server) disableTwoFactor(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, _ := ViewerFrom(ctx)
	view, err := s.accountView(r)
	if err != nil {
		return err
	}
	if !v.TwoFactor {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	if s.accounts.passwordByUser.OnLimit(w, r, "user:"+v.ID.String()) {
		view.Disable.Error = "Too many attempts. Wait a few minutes and try again."
		return s.renderAccount(w, r, http.StatusTooManyRequests, view)
	}

	pw, code := r.PostFormValue("password"), r.PostFormValue("code")
	confirmed := false
	if pw != "" {
		if confirmed, err = s.checkOwnPassword(r, v, pw); err != nil {
			return err
		}
	}
	err = s.store.InOrg(ctx, v.OrgID, func(q *db.Queries) error {
		if !confirmed && code != "" {
			how, err := s.checkSecondFactor(ctx, q, v.OrgID, v.ID, code)
			if err != nil {
				return err
			}
			confirmed = how != ""
		}
		if !confirmed {
			return nil
		}
		if _, err := q.DisableUserTOTP(ctx, db.DisableUserTOTPParams{OrgID: v.OrgID,
			UserID: v.ID}); err != nil {
			return fmt.Errorf("delete TOTP key: %w", err)
		}
		if err := q.DeleteRecoveryCodes(ctx, db.DeleteRecoveryCodesParams{OrgID: v.OrgID,
			UserID: v.ID}); err != nil {
			return fmt.Errorf("delete recovery codes: %w", err)
		}
		return s.recordSecurityEvent(ctx, q, v.OrgID, securityEvent{
			Action: "user.two_factor_disabled", Actor: &v.ID, User: v.ID, UserName: v.Name})
	})
	if err != nil {
		return fmt.Errorf("disable two-factor sign-in: %w", err)
	}
	if !confirmed {
		s.logSecurityEvent(ctx, "user.two_factor_disable_refused", v.OrgID, v.ID,
			"not confirmed")
		view.Disable.Error = "Confirm with your current password, or with a code from " +
			"your app or a recovery code."
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, view)
	}

	s.sessions.Put(ctx, sessionNotice, "Two-factor sign-in is off.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

// renewRecoveryCodes replaces the user's recovery codes with ten new ones, confirmed
// with the password, and shows them once. The old codes stop working in the same
// transaction, so that a list that was seen by someone else is worth nothing.
func (s *Server) renewRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, _ := ViewerFrom(ctx)
	if !v.TwoFactor {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	view, err := s.accountView(r)
	if err != nil {
		return err
	}
	if s.accounts.passwordByUser.OnLimit(w, r, "user:"+v.ID.String()) {
		view.Renew.Error = "Too many attempts. Wait a few minutes and try again."
		return s.renderAccount(w, r, http.StatusTooManyRequests, view)
	}

	confirmed := false
	if pw := r.PostFormValue("renew_password"); pw != "" {
		if confirmed, err = s.checkOwnPassword(r, v, pw); err != nil {
			return err
		}
	}
	if !confirmed {
		s.logSecurityEvent(ctx, "user.recovery_codes_renew_refused", v.OrgID, v.ID,
			"not confirmed")
		view.Renew.Error = "Confirm with your current password."
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, view)
	}

	codes, hashes := newRecoveryCodes()
	err = s.store.InOrg(ctx, v.OrgID, func(q *db.Queries) error {
		if err := replaceRecoveryCodes(ctx, q, v, hashes); err != nil {
			return err
		}
		return s.recordSecurityEvent(ctx, q, v.OrgID, securityEvent{
			Action: "user.recovery_codes_renewed", Actor: &v.ID, User: v.ID, UserName: v.Name})
	})
	if err != nil {
		return fmt.Errorf("renew recovery codes: %w", err)
	}

	s.render(w, r, http.StatusOK, components.RecoveryCodesPage(
		s.pageFor(r, "New recovery codes"), codes, "/account"), nil)
	return nil
}

// replaceRecoveryCodes deletes the user's recovery codes and stores the new hashes.
func replaceRecoveryCodes(ctx context.Context, q *db.Queries, v Viewer,
	hashes [][]byte) error {
	if err := q.DeleteRecoveryCodes(ctx, db.DeleteRecoveryCodesParams{OrgID: v.OrgID,
		UserID: v.ID}); err != nil {
		return fmt.Errorf("delete old recovery codes: %w", err)
	}
	for _, h := range hashes {
		if err := q.CreateRecoveryCode(ctx, db.CreateRecoveryCodeParams{OrgID: v.OrgID,
			UserID: v.ID, CodeHash: h}); err != nil {
			return fmt.Errorf("store recovery code: %w", err)
		}
	}
	return nil
}

// setupKey returns the key being enrolled in this session, making one if needed.
func (s *Server) setupKey(r *http.Request, v Viewer) (*otp.Key, error) {
	ctx := r.Context()
	if u := s.sessions.GetString(ctx, sessionTOTPSetup); u != "" {
		key, err := otp.NewKeyFromURL(u)
		if err == nil && key.AccountName() == v.Email {
			return key, nil
		}
	}
	key, err := newTOTPKey(v.Email)
	if err != nil {
		return nil, err
	}
	s.sessions.Put(ctx, sessionTOTPSetup, key.URL())
	return key, nil
}

func (s *Server) renderTwoFactorSetup(w http.ResponseWriter, r *http.Request, status int,
	key *otp.Key, msg string) error {
	v, _ := ViewerFrom(r.Context())
	qr, err := qrDataURL(key)
	if err != nil {
		return err
	}
	view := components.TwoFactorSetupView{QR: qr, Secret: key.Secret(),
		Required: v.IsStaff(), Error: msg}
	s.render(w, r, status, components.TwoFactorSetupPage(
		s.pageFor(r, "Set up two-factor sign-in"), view), nil)
	return nil
}
