package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// The rules for managing an organization's members, shared by the people page of a
// workspace and the staff's list of all users: who may change a member's role or
// deactivate them, and which changes would leave an organization without an
// administrator. Both pages call changeMember; neither has rules of its own.

// memberOrg is the organization whose member is changed.
type memberOrg struct {
	ID db.OrgID
	// IsStaff is true for JusB's own organization, whose members are all jusb_admin.
	IsStaff bool
}

// adminRole is the role of an organization's administrators: jusb_admin in JusB's
// own organization, client_admin in a client's.
func (o memberOrg) adminRole() string {
	if o.IsStaff {
		return RoleJusbAdmin
	}
	return RoleClientAdmin
}

// roles are the roles a member of the organization may have; the database keeps
// jusb_admin inside the staff organization and client roles out of it.
func (o memberOrg) roles() []string {
	if o.IsStaff {
		return []string{RoleJusbAdmin}
	}
	return []string{RoleClient, RoleClientAdmin}
}

// memberChange is one change to a member: a new role, or a new active state.
type memberChange struct {
	Role   string // "" leaves the role as it is
	Active *bool  // nil leaves it as it is
}

// member is a member as the rules see them.
type member struct {
	ID       uuid.UUID
	Name     string
	Role     string
	IsActive bool
}

// errForbiddenRole answers a client_admin who tries to grant jusb_admin (T4).
var errForbiddenRole = &httpError{status: http.StatusForbidden,
	message: "Only JusB staff may grant the jusb_admin role."}

// problem is a change the rules refuse, in words for the person who asked; it answers
// 422 and changes nothing.
type problem string

func (p problem) Error() string { return string(p) }

// checkMemberChange decides whether actor may make ch to target, a member of org, who
// has activeAdmins active administrators (target included, if they are one). It
// returns errForbiddenRole, a problem, or nil.
func checkMemberChange(actor Viewer, org memberOrg, target member, ch memberChange,
	activeAdmins int) error {
	if ch.Role != "" {
		if err := checkRoleGrant(actor, org, ch.Role); err != nil {
			return err
		}
	}

	isLastAdmin := target.IsActive && target.Role == org.adminRole() && activeAdmins <= 1
	switch {
	case ch.Role != "" && ch.Role != target.Role && isLastAdmin:
		return problem(target.Name + " is the organization's last active administrator: " +
			"make someone else an administrator first.")
	case ch.Active != nil && !*ch.Active && target.IsActive && target.ID == actor.ID:
		return problem("You cannot deactivate your own account.")
	case ch.Active != nil && !*ch.Active && isLastAdmin:
		return problem(target.Name + " is the organization's last active administrator " +
			"and cannot be deactivated.")
	}
	return nil
}

// checkRoleGrant decides whether actor may give role to someone in org, as a member
// or by invitation: jusb_admin only by staff, and only roles the organization has.
func checkRoleGrant(actor Viewer, org memberOrg, role string) error {
	if role == RoleJusbAdmin && !actor.IsStaff() {
		return errForbiddenRole
	}
	if !slices.Contains(org.roles(), role) {
		return problem("Choose one of the roles offered.")
	}
	return nil
}

// memberOutcome is what changeMember did.
type memberOutcome struct {
	Member db.ListMembersRow
	// Changed is false when the member already was as asked: nothing was written.
	Changed bool
	Action  string // the activity's action, when Changed
}

// changeMember applies ch to the member target of org, inside q's transaction (bound
// to org): it locks the organization's active administrators, then the member, checks
// the rules and writes the change and its activity entry.
func changeMember(ctx context.Context, q *db.Queries, actor Viewer, org memberOrg,
	target uuid.UUID, ch memberChange) (memberOutcome, error) {
	admins, err := q.LockActiveAdmins(ctx, db.LockActiveAdminsParams{OrgID: org.ID,
		Role: org.adminRole()})
	if err != nil {
		return memberOutcome{}, fmt.Errorf("lock administrators: %w", err)
	}
	row, err := q.LockMember(ctx, db.LockMemberParams{OrgID: org.ID, ID: target})
	if err != nil {
		return memberOutcome{}, fmt.Errorf("lock member: %w", err)
	}
	out := memberOutcome{Member: db.ListMembersRow(row)}
	m := member{ID: row.ID, Name: row.Name, Role: row.Role, IsActive: row.IsActive}
	if err := checkMemberChange(actor, org, m, ch, len(admins)); err != nil {
		return out, err
	}

	var c change
	switch {
	case ch.Role != "" && ch.Role != row.Role:
		updated, err := q.UpdateMemberRole(ctx, db.UpdateMemberRoleParams{OrgID: org.ID,
			ID: target, Role: ch.Role})
		if err != nil {
			return out, fmt.Errorf("update role: %w", err)
		}
		out.Member = db.ListMembersRow(updated)
		c = change{Action: "user.role_changed", Summary: fmt.Sprintf("%s: %s → %s",
			row.Name, components.RoleLabel(row.Role), components.RoleLabel(ch.Role))}
	case ch.Active != nil && *ch.Active != row.IsActive:
		updated, err := q.UpdateMemberActive(ctx, db.UpdateMemberActiveParams{
			OrgID: org.ID, ID: target, IsActive: *ch.Active})
		if err != nil {
			return out, fmt.Errorf("update active: %w", err)
		}
		out.Member = db.ListMembersRow(updated)
		c = change{Action: "user.deactivated", Summary: row.Name}
		if *ch.Active {
			c.Action = "user.reactivated"
		}
	default:
		return out, nil
	}

	c.TargetType, c.TargetID = "user", &out.Member.ID
	out.Changed, out.Action = true, c.Action
	return out, recordActivity(ctx, q, org.ID, actor.ID, c)
}

// applyMemberChange runs changeMember in its own transaction and logs what it did,
// or a refused grant of jusb_admin, which is worth a warning.
func (s *Server) applyMemberChange(r *http.Request, org memberOrg, target uuid.UUID,
	ch memberChange) (memberOutcome, error) {
	ctx := r.Context()
	actor, _ := ViewerFrom(ctx)
	var out memberOutcome
	err := s.store.InOrg(ctx, org.ID, func(q *db.Queries) (err error) {
		out, err = changeMember(ctx, q, actor, org, target, ch)
		return err
	})

	attrs := []any{slog.String("request_id", middleware.GetReqID(ctx)),
		slog.String("user_id", actor.ID.String()), slog.String("org_id", org.ID.String()),
		slog.String("target_user_id", target.String())}
	switch {
	case errors.Is(err, errForbiddenRole):
		s.log.Warn("role grant refused", append(attrs, slog.String("role", ch.Role))...)
	case err == nil && out.Changed:
		s.log.Info("member changed", append(attrs, slog.String("action", out.Action),
			slog.Bool("staff", actor.IsStaff()))...)
	}
	return out, err
}

// memberChangeFrom reads the change a member action asks for: the role form's role,
// or the active state that the route (deactivate or reactivate) names.
func memberChangeFrom(r *http.Request, action string) memberChange {
	switch action {
	case "deactivate":
		no := false
		return memberChange{Active: &no}
	case "reactivate":
		yes := true
		return memberChange{Active: &yes}
	}
	role := r.PostFormValue("role")
	if role == "" {
		role = "-" // a role form without a role is refused, not ignored
	}
	return memberChange{Role: role}
}
