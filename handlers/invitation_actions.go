package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// invite sends an invitation to join the workspace's organization. The address must
// not have an account yet (addresses are unique across the portal) nor a pending
// invitation here; the role must be one the viewer may grant. HTMX gets a fresh form
// and the list of pending invitations; a form that will not do comes back with its
// errors and a 422, and nothing is written.
func (s *Server) invite(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	org := memberOrg{ID: ws.OrgID, IsStaff: ws.IsStaff}

	form := components.InviteForm{Email: normalizeEmail(r.PostFormValue("email")),
		Role: r.PostFormValue("role"), Errors: map[string]string{}}
	if err := s.checkInvite(r, org, form); err != nil {
		return err
	}
	if len(form.Errors) > 0 {
		return s.renderInviteForm(w, r, http.StatusUnprocessableEntity, form)
	}

	var id uuid.UUID
	var pending []db.ListPendingInvitationsRow
	err := s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) (err error) {
		id, err = s.createInvitation(ctx, q, ws.OrgID, form.Email, form.Role, v.ID)
		if err != nil {
			return err
		}
		pending, err = q.ListPendingInvitations(ctx,
			db.ListPendingInvitationsParams{OrgID: ws.OrgID})
		return err
	})
	switch {
	case db.IsUniqueViolation(err):
		form.Errors["email"] = "An invitation to this address is waiting for an answer " +
			"already: send it again from the list of pending invitations."
		return s.renderInviteForm(w, r, http.StatusUnprocessableEntity, form)
	case err != nil:
		return fmt.Errorf("invite to %s: %w", ws.Slug, err)
	}
	s.logInvitation(r, "invitation sent", ws.OrgID, id)

	if !isFragmentRequest(r) {
		http.Redirect(w, r, peoplePath(ws), http.StatusSeeOther)
		return nil
	}
	fresh := inviteForm(ws, components.InviteForm{Sent: form.Email})
	s.renderStatus(w, r, http.StatusOK,
		components.InviteSent(fresh, invitationList(ws, pending)))
	return nil
}

// checkInvite puts what is wrong with an invitation's address and role into
// form.Errors. A grant of jusb_admin by someone other than staff is not a form error
// but a refusal (403), returned.
func (s *Server) checkInvite(r *http.Request, org memberOrg, form components.InviteForm) error {
	v, _ := ViewerFrom(r.Context())
	err := checkRoleGrant(v, org, form.Role)
	var refused problem
	switch {
	case errors.Is(err, errForbiddenRole):
		s.log.Warn("role grant refused",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("user_id", v.ID.String()), slog.String("org_id", org.ID.String()),
			slog.String("role", form.Role))
		return err
	case errors.As(err, &refused):
		form.Errors["role"] = refused.Error()
	}

	if msg := checkEmail(form.Email); msg != "" {
		form.Errors["email"] = msg
		return nil
	}
	taken, err := s.emailTaken(r, form.Email)
	if err != nil {
		return err
	}
	if taken {
		form.Errors["email"] = "This address has an account already. Someone can belong " +
			"to one organization only."
	}
	return nil
}

// checkEmail returns what is wrong with an e-mail address (already normalized), or "".
func checkEmail(email string) string {
	if email == "" {
		return "Enter the e-mail address to send the invitation to."
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || len(email) > 254 {
		return "Enter an e-mail address such as name@example.com."
	}
	return ""
}

// emailTaken reports whether any organization has a user with this address. It
// looks through the sign-in path, which sees that one row and nothing else.
func (s *Server) emailTaken(r *http.Request, email string) (bool, error) {
	ctx := r.Context()
	err := s.store.ForSignIn(ctx, email, func(q *db.Queries) error {
		_, err := q.GetUserByEmailGlobal(ctx, db.GetUserByEmailGlobalParams{Email: email})
		return err
	})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look up address for invitation: %w", err)
	}
	return true, nil
}

// renderInviteForm shows the invitation form with its errors: alone for HTMX, in the
// people page otherwise.
func (s *Server) renderInviteForm(w http.ResponseWriter, r *http.Request, status int,
	form components.InviteForm) error {
	ws, _ := WorkspaceFrom(r.Context())
	if isFragmentRequest(r) {
		s.renderStatus(w, r, status, components.Invite(inviteForm(ws, form)))
		return nil
	}
	return s.renderPeople(w, r, status, form, nil)
}

// resendInvitation sends a pending invitation again, valid for seven more days. Its
// token changes at once, so every link sent before stops working.
func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	return s.changeInvitation(w, r, "invitation.resent", func(q *db.Queries,
		inv db.LockInvitationRow) (components.InvitationRow, error) {
		ctx := r.Context()
		ws, _ := WorkspaceFrom(ctx)
		_, hash := newToken()
		renewed, err := q.RenewInvitation(ctx, db.RenewInvitationParams{OrgID: ws.OrgID,
			ID: inv.ID, TokenHash: hash})
		if err != nil {
			return components.InvitationRow{}, fmt.Errorf("renew invitation: %w", err)
		}
		if err := s.queueMail(ctx, q, ws.OrgID, mailInvitation, inv.ID, inv.Email); err != nil {
			return components.InvitationRow{}, err
		}
		row := invitationRow(inv)
		row.ExpiresAt, row.Expired = renewed.ExpiresAt, renewed.Expired
		row.Notice = "Sent again. Only the newest link works."
		return row, nil
	})
}

// revokeInvitation withdraws a pending invitation: its link stops working.
func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	return s.changeInvitation(w, r, "invitation.revoked", func(q *db.Queries,
		inv db.LockInvitationRow) (components.InvitationRow, error) {
		ctx := r.Context()
		ws, _ := WorkspaceFrom(ctx)
		if err := q.RevokeInvitation(ctx, db.RevokeInvitationParams{OrgID: ws.OrgID,
			ID: inv.ID}); err != nil {
			return components.InvitationRow{}, fmt.Errorf("revoke invitation: %w", err)
		}
		row := invitationRow(inv)
		row.Revoked, row.Notice = true, "Revoked. The link no longer works."
		return row, nil
	})
}

// changeInvitation locks the route's invitation, refuses one no longer pending (422),
// applies act and records action, in one transaction; then answers with the row for
// HTMX or the page for a plain form post.
func (s *Server) changeInvitation(w http.ResponseWriter, r *http.Request, action string,
	act func(q *db.Queries, inv db.LockInvitationRow) (components.InvitationRow, error)) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	id, err := uuidParam(r, "invitationID")
	if err != nil {
		return err
	}

	var row components.InvitationRow
	err = s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) error {
		inv, err := q.LockInvitation(ctx, db.LockInvitationParams{OrgID: ws.OrgID, ID: id})
		if err != nil {
			return fmt.Errorf("lock invitation: %w", err)
		}
		row = invitationRow(inv)
		if inv.AcceptedAt != nil || inv.RevokedAt != nil {
			return problem("This invitation has been accepted or revoked meanwhile.")
		}
		if row, err = act(q, inv); err != nil {
			return err
		}
		return recordActivity(ctx, q, ws.OrgID, v.ID, change{Action: action,
			TargetType: "invitation", TargetID: &id, Summary: inv.Email})
	})
	var refused problem
	switch {
	case errors.As(err, &refused):
		if !isFragmentRequest(r) {
			return s.renderPeople(w, r, http.StatusUnprocessableEntity,
				components.InviteForm{}, map[uuid.UUID]string{id: refused.Error()})
		}
		row.Problem = refused.Error()
		s.renderStatus(w, r, http.StatusUnprocessableEntity,
			components.InvitationItem(peoplePath(ws), row))
		return nil
	case err != nil:
		return fmt.Errorf("%s %s in %s: %w", action, id, ws.Slug, err)
	}
	s.logInvitation(r, action, ws.OrgID, id)

	if !isFragmentRequest(r) {
		http.Redirect(w, r, peoplePath(ws), http.StatusSeeOther)
		return nil
	}
	s.renderStatus(w, r, http.StatusOK, components.InvitationItem(peoplePath(ws), row))
	return nil
}

// logInvitation writes an invitation's event to the structured log: who, where and
// which invitation, never its token or link.
func (s *Server) logInvitation(r *http.Request, event string, org db.OrgID, id uuid.UUID) {
	v, _ := ViewerFrom(r.Context())
	s.log.Info(event, slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.String("user_id", v.ID.String()), slog.String("org_id", org.String()),
		slog.String("invitation_id", id.String()), slog.Bool("staff", v.IsStaff()))
}

// inviteForm fills in what the invitation form of workspace ws always has.
func inviteForm(ws Workspace, f components.InviteForm) components.InviteForm {
	f.Action = peoplePath(ws) + "/invitations"
	f.Roles = memberOrg{ID: ws.OrgID, IsStaff: ws.IsStaff}.roles()
	if f.Role == "" {
		f.Role = f.Roles[0]
	}
	return f
}

func invitationList(ws Workspace, rows []db.ListPendingInvitationsRow) components.InvitationList {
	l := components.InvitationList{BasePath: peoplePath(ws)}
	for _, i := range rows {
		l.Rows = append(l.Rows, components.InvitationRow{ID: i.ID.String(), Email: i.Email,
			Role: i.Role, InvitedBy: i.InvitedByName, ExpiresAt: i.ExpiresAt,
			Expired: i.Expired})
	}
	return l
}

func invitationRow(i db.LockInvitationRow) components.InvitationRow {
	return components.InvitationRow{ID: i.ID.String(), Email: i.Email, Role: i.Role,
		InvitedBy: i.InvitedByName, ExpiresAt: i.ExpiresAt, Expired: i.Expired}
}
