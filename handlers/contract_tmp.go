package handlers

// Temporary stand-ins for what the mail outbox brings to main (see the contract in
// the people branch's brief) and for password.Validate with related words, which the
// credentials work brings. Delete this file when main has them.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
)

type mailKind string

const mailInvitation mailKind = "invitation"

// queueMail stands in for the outbox: it sends nothing.
func (s *Server) queueMail(_ context.Context, _ *db.Queries, _ db.OrgID, _ mailKind,
	_ uuid.UUID, _ string) error {
	return nil
}

// newToken returns a random token and the SHA-256 of it.
func newToken() (string, []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken returns the SHA-256 of a token, as stored.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// createInvitation inserts an invitation valid for seven days, queues its mail and
// records it.
func (s *Server) createInvitation(ctx context.Context, q *db.Queries, org db.OrgID,
	email, role string, invitedBy uuid.UUID) (uuid.UUID, error) {
	_, hash := newToken()
	id, err := q.CreateInvitationTmp(ctx, db.CreateInvitationTmpParams{OrgID: org,
		Email: email, Role: role, TokenHash: hash, InvitedBy: &invitedBy})
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("insert invitation: %w", err)
	}
	if err := s.queueMail(ctx, q, org, mailInvitation, id, email); err != nil {
		return uuid.UUID{}, err
	}
	return id, recordActivity(ctx, q, org, invitedBy, change{Action: "invitation.sent",
		TargetType: "invitation", TargetID: &id, Summary: email})
}

// validatePassword stands in for password.Validate(pw, related...): 12 to 128
// characters.
func validatePassword(pw string, _ ...string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n < 12:
		return fmt.Errorf("a password needs at least 12 characters")
	case n > 128:
		return fmt.Errorf("a password may have at most 128 characters")
	}
	return nil
}
