package db

import (
	"context"

	"github.com/google/uuid"
)

// Viewer is the signed-in user as read for one request, and, when the request names a
// workspace by slug, that organization.
type Viewer struct {
	Member GetMemberRow
	// Workspace is set when a slug was asked for and exists.
	Workspace *Organization
}

// LoadViewer reads the signed-in user (in their own organization) and, when slug is
// not empty, the organization with that slug, in one round trip. A missing user is
// ErrNotFound; a missing slug leaves Workspace nil.
func (s *Store) LoadViewer(ctx context.Context, org OrgID, user uuid.UUID, slug string) (
	Viewer, error) {
	var v Viewer
	var ws []Organization
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readOne(r, getMember, &v.Member, org, user)
		if slug != "" {
			readMany(r, getOrganizationBySlugGlobal, &ws, slug)
		}
	})
	if len(ws) == 1 {
		v.Workspace = &ws[0]
	}
	return v, err
}
