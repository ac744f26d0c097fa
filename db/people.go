package db

import (
	"context"
	"encoding/hex"
	"fmt"
)

// People is what an organization's people page shows: its members and the
// invitations still pending.
type People struct {
	Members     []ListMembersRow
	Invitations []ListPendingInvitationsRow
}

// LoadPeople reads an organization's members and, when withInvitations is set, its
// pending invitations, in one round trip.
func (s *Store) LoadPeople(ctx context.Context, org OrgID, withInvitations bool) (People,
	error) {
	var p People
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readMany(r, listMembers, &p.Members, org)
		if withInvitations {
			readMany(r, listPendingInvitations, &p.Invitations, org)
		}
	})
	return p, err
}

// InvitationByToken is an invitation found by its token, with its organization.
type InvitationByToken = GetInvitationByTokenGlobalRow

// ForInvitation runs fn in a transaction that first finds the invitation whose token
// has the SHA-256 tokenHash, whatever its organization, and then is bound to that
// invitation's organization as InOrg binds one. Before the binding, row-level security
// shows this transaction the one invitation with that hash and nothing else; an
// unknown hash is ErrNotFound and fn does not run. It is the only way to use an
// invitation before its organization is known.
func (s *Store) ForInvitation(ctx context.Context, tokenHash []byte,
	fn func(q *Queries, inv InvitationByToken) error) error {
	if len(tokenHash) == 0 {
		return fmt.Errorf("for invitation: %w", ErrNotFound)
	}
	const begin = "BEGIN; SELECT set_config('app.invitation_token_hash', $1, true)"
	return inTx(ctx, s.app, begin, []any{hex.EncodeToString(tokenHash)},
		func(q *Queries) error {
			inv, err := q.GetInvitationByTokenGlobal(ctx,
				GetInvitationByTokenGlobalParams{TokenHash: tokenHash})
			if err != nil {
				return fmt.Errorf("find invitation: %w", err)
			}
			if _, err := q.db.Exec(ctx, "SELECT set_config('app.org_id', $1, true)",
				inv.OrgID.String()); err != nil {
				return fmt.Errorf("bind invitation's organization: %w", err)
			}
			return fn(q, inv)
		})
}

// Users is a page of the staff's list of every user, and the organizations its filter
// offers.
type Users struct {
	Users []ListUsersGlobalRow
	Orgs  []ListOrganizationsGlobalRow
}

// LoadUsersGlobal reads a page of every organization's users on the staff path and,
// when withOrgs is set, the organizations, in one round trip. Only staff routes call
// it.
func (s *Store) LoadUsersGlobal(ctx context.Context, p ListUsersGlobalParams,
	withUsers, withOrgs bool) (Users, error) {
	var u Users
	if !withUsers && !withOrgs {
		return u, nil
	}
	err := s.ReadStaff(ctx, func(r *Reads) {
		if withOrgs {
			readMany(r, listOrganizationsGlobal, &u.Orgs)
		}
		if withUsers {
			readMany(r, listUsersGlobal, &u.Users, p.Org, p.Role, p.IsActive, p.Search,
				p.After, p.MaxRows)
		}
	})
	return u, err
}
