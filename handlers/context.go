package handlers

import (
	"context"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

// Roles, as stored in app_user.role.
const (
	RoleClient      = "client"
	RoleClientAdmin = "client_admin"
	RoleJusbAdmin   = "jusb_admin"
)

// Viewer is the signed-in user, read from the database for each request.
type Viewer struct {
	ID      uuid.UUID
	OrgID   db.OrgID
	Email   string
	Name    string
	Role    string
	OrgSlug string
	OrgName string
	// TwoFactor says whether the user signs in with a second factor (TOTP).
	TwoFactor bool
	// slugOrg is the organization named by the request's /o/{slug}, read with the
	// user; nil when there is none or no such slug.
	slugOrg *db.Organization
}

// IsStaff reports whether the viewer is JusB staff.
func (v Viewer) IsStaff() bool { return v.Role == RoleJusbAdmin }

// Workspace is the organization named by the URL's slug, which the viewer may enter.
type Workspace struct {
	OrgID db.OrgID
	Slug  string
	Name  string
	// StaffVisit is true when JusB staff view another organization's workspace.
	StaffVisit bool
	// Archived is true for an archived organization, which only staff may open, to
	// read only.
	Archived bool
	// IsStaff is true in the workspace of JusB's own organization.
	IsStaff bool
}

type ctxKey int

const (
	viewerKey ctxKey = iota + 1
	workspaceKey
	csrfKey
)

func withViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey, v)
}

// ViewerFrom returns the signed-in user of the request, if any.
func ViewerFrom(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(viewerKey).(Viewer)
	return v, ok
}

func withWorkspace(ctx context.Context, w Workspace) context.Context {
	return context.WithValue(ctx, workspaceKey, w)
}

// WorkspaceFrom returns the workspace of a /o/{slug} request, once authorized.
func WorkspaceFrom(ctx context.Context) (Workspace, bool) {
	w, ok := ctx.Value(workspaceKey).(Workspace)
	return w, ok
}
