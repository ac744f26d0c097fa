package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// peopleRoutes declares the routes of a workspace's people page: everyone sees the
// members; client_admins and staff invite people and change members.
func (s *Server) peopleRoutes() []Route {
	return []Route{
		rt("GET", "/o/{slug}/people", Member, s.peoplePage),
		rt("POST", "/o/{slug}/people/invitations", ClientAdmin, s.invite),
		rt("POST", "/o/{slug}/people/invitations/{invitationID}/resend", ClientAdmin,
			s.resendInvitation),
		rt("POST", "/o/{slug}/people/invitations/{invitationID}/revoke", ClientAdmin,
			s.revokeInvitation),
		rt("POST", "/o/{slug}/people/{userID}/role", ClientAdmin, s.changePerson("role")),
		rt("POST", "/o/{slug}/people/{userID}/deactivate", ClientAdmin,
			s.changePerson("deactivate")),
		rt("POST", "/o/{slug}/people/{userID}/reactivate", ClientAdmin,
			s.changePerson("reactivate")),
	}
}

// peoplePage lists the organization's members and, for those who may manage them,
// the pending invitations and the invitation form.
func (s *Server) peoplePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPeople(w, r, http.StatusOK, components.InviteForm{}, nil)
}

// renderPeople renders the whole people page, with the invitation form as given and
// the problems of refused actions beside their rows, by member or invitation ID.
func (s *Server) renderPeople(w http.ResponseWriter, r *http.Request, status int,
	form components.InviteForm, problems map[uuid.UUID]string) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	manage := canManagePeople(r)

	people, err := s.store.LoadPeople(ctx, ws.OrgID, manage)
	if err != nil {
		return fmt.Errorf("load people of %s: %w", ws.Slug, err)
	}

	view := components.PeopleView{BasePath: peoplePath(ws), CanManage: manage,
		Invitations: invitationList(ws, people.Invitations)}
	for i, inv := range people.Invitations {
		view.Invitations.Rows[i].Problem = problems[inv.ID]
	}
	for _, m := range people.Members {
		row := s.personRow(r, ws, m)
		row.Problem = problems[m.ID]
		view.Members = append(view.Members, row)
	}
	view.Invite = inviteForm(ws, form)
	shell := s.shellFor(r, "People", components.SectionPeople)
	s.render(w, r, status, components.PeoplePage(shell, view), nil)
	return nil
}

// changePerson returns the handler of one member action on the people page: a role
// change, a deactivation or a reactivation. HTMX gets the member's row; a plain form
// post goes back to the page. A refused change answers 422 with the reason in the
// row (or on the page) and changes nothing.
func (s *Server) changePerson(action string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ws, _ := WorkspaceFrom(r.Context())
		target, err := uuidParam(r, "userID")
		if err != nil {
			return err
		}

		ch := memberChangeFrom(r, action)
		out, err := s.applyMemberChange(r, memberOrg{ID: ws.OrgID, IsStaff: ws.IsStaff},
			target, ch)
		var refused problem
		switch {
		case errors.As(err, &refused):
			if !isFragmentRequest(r) {
				return s.renderPeople(w, r, http.StatusUnprocessableEntity,
					components.InviteForm{}, map[uuid.UUID]string{target: refused.Error()})
			}
			row := s.personRow(r, ws, out.Member)
			row.Problem = refused.Error()
			s.renderStatus(w, r, http.StatusUnprocessableEntity, components.PersonItem(row))
			return nil
		case err != nil:
			return fmt.Errorf("%s member %s of %s: %w", action, target, ws.Slug, err)
		}

		if !isFragmentRequest(r) {
			http.Redirect(w, r, peoplePath(ws), http.StatusSeeOther)
			return nil
		}
		row := s.personRow(r, ws, out.Member)
		row.Notice = memberNotice(out)
		s.renderStatus(w, r, http.StatusOK, components.PersonItem(row))
		return nil
	}
}

// memberNotice says what a member action did.
func memberNotice(out memberOutcome) string {
	switch {
	case !out.Changed:
		return "Nothing to change."
	case out.Action == "user.deactivated":
		return "Deactivated: their sessions have ended."
	case out.Action == "user.reactivated":
		return "Reactivated: they can sign in again."
	}
	return "Role changed."
}

// personRow builds a member's row for the viewer of the workspace ws.
func (s *Server) personRow(r *http.Request, ws Workspace,
	m db.ListMembersRow) components.PersonRow {
	v, _ := ViewerFrom(r.Context())
	row := components.PersonRow{ID: m.ID.String(), Name: m.Name, Email: m.Email,
		Role: m.Role, Active: m.IsActive, LastSignIn: m.LastSignInAt, You: m.ID == v.ID}
	if canManagePeople(r) {
		row.ActionsPath = peoplePath(ws) + "/" + row.ID
		row.Roles = memberOrg{ID: ws.OrgID, IsStaff: ws.IsStaff}.roles()
	}
	return row
}

// canManagePeople reports whether the viewer may invite people and change members in
// the request's workspace: its client_admins and JusB staff.
func canManagePeople(r *http.Request) bool {
	v, ok := ViewerFrom(r.Context())
	return ok && (v.IsStaff() || v.Role == RoleClientAdmin)
}

func peoplePath(ws Workspace) string { return "/o/" + ws.Slug + "/people" }

// uuidParam reads a route parameter that is an ID; a malformed one is not found.
func uuidParam(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, name))
	if err != nil {
		return uuid.UUID{}, errNotFound
	}
	return id, nil
}
