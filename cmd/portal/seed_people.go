package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers"
)

func init() {
	demoContent = append(demoContent, demoSeeder{name: "invitations", fn: seedInvitations})
}

// demoInvitations are the pending invitations of the demo: one per client
// organization, from its client_admin, so that the people page shows one.
var demoInvitations = []struct {
	slug, email, role, invitedBy string
}{
	{"acme", "erin@acme.example", handlers.RoleClient, "alice@acme.example"},
	{"globex", "frank@globex.example", handlers.RoleClientAdmin, "carol@globex.example"},
}

// seedInvitations keeps the demo's pending invitations pending. Their tokens are
// random and mailed to nobody: to try an invitation, send one from the people page
// (with no mail server set, the mail and its link go to the log).
func seedInvitations(ctx context.Context, q *db.Queries, w demoWorld) error {
	for _, inv := range demoInvitations {
		by := w.users[inv.invitedBy]
		token := make([]byte, 32)
		_, _ = rand.Read(token)
		hash := sha256.Sum256(token)
		err := q.UpsertDemoInvitationGlobal(ctx, db.UpsertDemoInvitationGlobalParams{
			OrgID: w.orgs[inv.slug].ID, Email: inv.email, Role: inv.role,
			TokenHash: hash[:], InvitedBy: &by})
		if err != nil {
			return fmt.Errorf("invitation to %s: %w", inv.email, err)
		}
	}
	return nil
}
