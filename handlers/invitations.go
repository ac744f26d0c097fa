package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/email"
)

// invitationLifetime is how long an invitation's link works.
const invitationLifetime = 7 * 24 * time.Hour

func init() { registerComposer(mailInvitation, composeInvitation) }

// createInvitation invites the address to org with role, inside q's transaction: it
// writes the invitation, queues its mail and records the activity. The caller has
// checked that invitedBy may invite to org and that the role is one they may grant.
func (s *Server) createInvitation(ctx context.Context, q *db.Queries, org db.OrgID,
	address, role string, invitedBy uuid.UUID) (uuid.UUID, error) {
	_, placeholder := newToken()
	id, err := q.CreateInvitation(ctx, db.CreateInvitationParams{OrgID: org, Email: address,
		Role: role, TokenHash: placeholder, InvitedBy: &invitedBy,
		ExpiresAt: time.Now().Add(invitationLifetime)})
	if err != nil {
		return uuid.Nil, fmt.Errorf("create invitation: %w", err)
	}

	if err := s.queueMail(ctx, q, org, mailInvitation, id, address); err != nil {
		return uuid.Nil, err
	}
	err = recordActivity(ctx, q, org, invitedBy, change{Action: "invitation.sent",
		TargetType: "invitation", TargetID: &id, Summary: address})
	return id, err
}

// invitationMail is the data of the invitation templates.
type invitationMail struct {
	OrgName, InviterName, Link, Expires string
}

// composeInvitation issues the invitation's token and writes its mail. A new token
// replaces the one before, so only the latest mail's link works.
func composeInvitation(s *Server, ctx context.Context, q *db.Queries, org db.OrgID,
	id uuid.UUID) (email.Message, error) {
	inv, err := q.GetInvitationForMail(ctx, db.GetInvitationForMailParams{OrgID: org, ID: id})
	if err != nil {
		return email.Message{}, fmt.Errorf("load invitation: %w", err)
	}
	if inv.AcceptedAt != nil || inv.RevokedAt != nil || time.Now().After(inv.ExpiresAt) {
		return email.Message{}, errMailObsolete
	}

	token, hash := newToken()
	err = q.SetInvitationToken(ctx, db.SetInvitationTokenParams{OrgID: org, ID: id,
		TokenHash: hash})
	if err != nil {
		return email.Message{}, fmt.Errorf("set invitation token: %w", err)
	}

	data := invitationMail{OrgName: inv.OrgName, InviterName: "JusB Solutions",
		Link:    s.publicURL("/invitations/accept?token=" + token),
		Expires: components.DateTime(inv.ExpiresAt)}
	if inv.InviterName != nil {
		data.InviterName = *inv.InviterName
	}
	subject, text, html, err := email.Render("invitation", data)
	if err != nil {
		return email.Message{}, err
	}
	return email.Message{To: inv.Email, Subject: subject, Text: text, HTML: html}, nil
}
