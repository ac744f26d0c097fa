package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/password"
)

// invitationRoutes declares the page that accepts an invitation, open to anyone with
// the link. The token travels in the query (GET) and the form (POST), never in the
// path, so that request logs, which record the path alone, never hold it.
func (s *Server) invitationRoutes() []Route {
	return []Route{
		rt("GET", "/invitations/accept", Public, s.acceptInvitationPage),
		rt("POST", "/invitations/accept", Public, s.acceptInvitation).
			withLimit(s.acceptLimitByIP()),
	}
}

// errInvitationUnusable is an invitation link that is expired, used, revoked or
// unknown: all four get the same page.
var errInvitationUnusable = errors.New("invitation unusable")

// acceptInvitationPage asks the invited person for a name and a password.
func (s *Server) acceptInvitationPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	inv, err := s.findInvitation(r, token)
	if errors.Is(err, errInvitationUnusable) {
		return s.renderInvitationUnusable(w, r)
	}
	if err != nil {
		return err
	}
	form := components.AcceptForm{Token: token, OrgName: inv.OrgName, Email: inv.Email,
		Role: inv.Role, MinLength: password.MinLength, Errors: map[string]string{}}
	s.render(w, r, http.StatusOK, components.AcceptPage(s.pageFor(r, "Join "+inv.OrgName),
		form), nil)
	return nil
}

// acceptInvitation creates the invited user with the invitation's role in its
// organization, uses the invitation up, and signs the new user in with a fresh
// session, landing in their workspace. Of two requests with the same link only one
// creates a user.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	token := r.PostFormValue("token")
	inv, err := s.findInvitation(r, token)
	if errors.Is(err, errInvitationUnusable) {
		return s.renderInvitationUnusable(w, r)
	}
	if err != nil {
		return err
	}

	form := components.AcceptForm{Token: token, OrgName: inv.OrgName, Email: inv.Email,
		Role: inv.Role, Name: strings.TrimSpace(r.PostFormValue("name")),
		MinLength: password.MinLength, Errors: map[string]string{}}
	pw := r.PostFormValue("password")
	checkAccept(form, pw)
	if len(form.Errors) > 0 {
		return s.renderAccept(w, r, http.StatusUnprocessableEntity, form)
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}

	user, err := s.createInvitedUser(r, token, form.Name, hash)
	switch {
	case errors.Is(err, errInvitationUnusable):
		return s.renderInvitationUnusable(w, r)
	case db.IsUniqueViolation(err):
		form.Errors["form"] = "This address has an account already: sign in instead."
		return s.renderAccept(w, r, http.StatusUnprocessableEntity, form)
	case err != nil:
		return fmt.Errorf("accept invitation: %w", err)
	}
	s.log.Info("invitation accepted", slog.String("request_id", middleware.GetReqID(ctx)),
		slog.String("user_id", user.ID.String()), slog.String("org_id", user.OrgID.String()),
		slog.String("invitation_id", inv.ID.String()))

	if err := s.startSession(w, r, user, ""); err != nil {
		return err
	}
	http.Redirect(w, r, homeURL(Viewer{Role: user.Role, OrgSlug: user.OrgSlug}),
		http.StatusSeeOther)
	return nil
}

// findInvitation looks up the invitation of a token; one that cannot be used, for any
// reason, is errInvitationUnusable.
func (s *Server) findInvitation(r *http.Request, token string) (db.InvitationByToken,
	error) {
	var inv db.InvitationByToken
	if token == "" || len(token) > 200 {
		return inv, errInvitationUnusable
	}
	err := s.store.ForInvitation(r.Context(), hashToken(token),
		func(_ *db.Queries, found db.InvitationByToken) error {
			inv = found
			return nil
		})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return inv, errInvitationUnusable
	case err != nil:
		return inv, fmt.Errorf("look up invitation: %w", err)
	case !inv.Usable:
		return inv, errInvitationUnusable
	}
	return inv, nil
}

// createInvitedUser uses the invitation up and creates its user, in one transaction
// bound to the invitation's organization, with the activity entry. The result is the
// user as startSession needs them.
func (s *Server) createInvitedUser(r *http.Request, token, name, hash string) (
	db.GetUserByEmailGlobalRow, error) {
	ctx := r.Context()
	tokenHash := hashToken(token)
	var user db.GetUserByEmailGlobalRow
	err := s.store.ForInvitation(ctx, tokenHash, func(q *db.Queries,
		inv db.InvitationByToken) error {
		if !inv.Usable {
			return errInvitationUnusable
		}
		_, err := q.AcceptInvitation(ctx, db.AcceptInvitationParams{OrgID: inv.OrgID,
			ID: inv.ID, TokenHash: tokenHash})
		if errors.Is(err, db.ErrNotFound) {
			return errInvitationUnusable // used by a request a moment earlier
		}
		if err != nil {
			return fmt.Errorf("mark invitation accepted: %w", err)
		}
		created, err := q.CreateInvitedUser(ctx, db.CreateInvitedUserParams{
			OrgID: inv.OrgID, Email: inv.Email, Name: name, PasswordHash: hash,
			Role: inv.Role})
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		user = db.GetUserByEmailGlobalRow{ID: created.ID, OrgID: created.OrgID,
			Email: created.Email, Name: created.Name, Role: created.Role, IsActive: true,
			SessionVersion: created.SessionVersion, OrgSlug: inv.OrgSlug}
		return recordActivity(ctx, q, inv.OrgID, created.ID, change{
			Action: "invitation.accepted", TargetType: "invitation", TargetID: &inv.ID,
			Summary: created.Name + " <" + created.Email + ">"})
	})
	if errors.Is(err, db.ErrNotFound) {
		return user, errInvitationUnusable // the token changed meanwhile (resent)
	}
	return user, err
}

// checkAccept puts what is wrong with the chosen name and password into form.Errors.
func checkAccept(form components.AcceptForm, pw string) {
	switch n := utf8.RuneCountInString(form.Name); {
	case n == 0:
		form.Errors["name"] = "Enter your name."
	case n > 200:
		form.Errors["name"] = "Use at most 200 characters."
	case !utf8.ValidString(form.Name) || strings.ContainsFunc(form.Name, unicode.IsControl):
		form.Errors["name"] = "Your name has characters that cannot be shown."
	}
	if err := password.Validate(pw, form.Email, form.Name); err != nil {
		form.Errors["password"] = sentence(err.Error())
	}
}

// sentence capitalizes a message and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, size := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[size:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

func (s *Server) renderAccept(w http.ResponseWriter, r *http.Request, status int,
	form components.AcceptForm) error {
	s.render(w, r, status,
		components.AcceptPage(s.pageFor(r, "Join "+form.OrgName), form), nil)
	return nil
}

// renderInvitationUnusable answers 410 Gone for every link that cannot be used.
func (s *Server) renderInvitationUnusable(w http.ResponseWriter, r *http.Request) error {
	s.log.Info("invitation link refused",
		slog.String("request_id", middleware.GetReqID(r.Context())))
	s.render(w, r, http.StatusGone,
		components.InvitationUnusablePage(s.pageFor(r, "Invitation")), nil)
	return nil
}

// acceptLimitByIP limits accept posts per client address (IPv6 by its /64), as
// sign-in posts are: each one hashes a password.
func (s *Server) acceptLimitByIP() func(http.Handler) http.Handler {
	return s.limitPerAddress("invitation accept", s.cfg.SignInPerIP,
		func(w http.ResponseWriter, r *http.Request) {
			s.log.Warn("invitation accept rate limited",
				slog.String("request_id", middleware.GetReqID(r.Context())))
			s.renderError(w, r, http.StatusTooManyRequests,
				"Too many attempts from your network. Wait a minute and try again.")
		})
}
