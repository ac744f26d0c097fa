package handlers

// This file stands in for what the lead is adding to main (the mail outbox and
// invitations); it goes when main has them.

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

// createInvitation inserts an invitation to org for email with role, and records it
// in org's activity log, inside q's transaction. (The contract's version also queues
// its mail.)
func (s *Server) createInvitation(ctx context.Context, q *db.Queries, org db.OrgID,
	email, role string, invitedBy uuid.UUID) (uuid.UUID, error) {
	hash := make([]byte, 32) // replaced by the composer's when the mail is sent
	if _, err := rand.Read(hash); err != nil {
		return uuid.UUID{}, fmt.Errorf("create invitation: %w", err)
	}
	id, err := q.CreateInvitationTmp(ctx, db.CreateInvitationTmpParams{OrgID: org,
		Email: email, Role: role, TokenHash: hash, InvitedBy: &invitedBy})
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("create invitation: %w", err)
	}
	err = recordActivity(ctx, q, org, invitedBy, change{Action: "invitation.sent",
		TargetType: "invitation", TargetID: &id, Summary: email})
	return id, err
}
