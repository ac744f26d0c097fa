package handlers

// Temporary stand-ins for the mail outbox contract that the lead is adding to main.
// This file is deleted when main is merged.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/email"
)

type mailKind string

const (
	mailInvitation    mailKind = "invitation"
	mailPasswordReset mailKind = "password_reset"
)

type composer func(s *Server, ctx context.Context, q *db.Queries, org db.OrgID,
	ref uuid.UUID) (email.Message, error)

var composers = map[mailKind]composer{}

func registerComposer(k mailKind, c composer) { composers[k] = c }

// tmpQueued is what queueMail was asked to send, by address, until main's outbox.
var tmpQueued = struct {
	sync.Mutex
	byTo map[string]tmpMail
}{byTo: map[string]tmpMail{}}

type tmpMail struct {
	org  db.OrgID
	kind mailKind
	ref  uuid.UUID
}

func (s *Server) queueMail(_ context.Context, _ *db.Queries, org db.OrgID, kind mailKind,
	ref uuid.UUID, to string) error {
	tmpQueued.Lock()
	defer tmpQueued.Unlock()
	tmpQueued.byTo[to] = tmpMail{org: org, kind: kind, ref: ref}
	return nil
}

func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func (s *Server) publicURL(path string) string { return "https://portal.test" + path }
