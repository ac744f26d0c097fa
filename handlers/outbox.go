package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers/email"
)

// mailKind names what an outbox row is about; each kind has a composer.
type mailKind string

// The kinds of mail the portal sends.
const (
	mailInvitation    mailKind = "invitation"
	mailPasswordReset mailKind = "password_reset"
)

// A composer builds the message for an outbox row just before it is sent, inside a
// transaction bound to the row's organization. It is where a one-time token is issued
// and its hash stored, so that no raw token is ever kept. It returns errMailObsolete
// when there is nothing to send any more (an invitation revoked meanwhile).
type composer func(s *Server, ctx context.Context, q *db.Queries, org db.OrgID,
	ref uuid.UUID) (email.Message, error)

var composers = map[mailKind]composer{}

// registerComposer makes c build the mails of kind k; each kind's file calls it from
// init.
func registerComposer(k mailKind, c composer) {
	if _, dup := composers[k]; dup {
		panic("two composers for mail kind " + string(k))
	}
	composers[k] = c
}

// errMailObsolete says a queued mail no longer needs sending.
var errMailObsolete = errors.New("mail no longer needed")

// queueMail adds a mail of kind about ref, to the address to, inside q's transaction:
// it is sent after the transaction commits, and never if it rolls back. A failure to
// send does not undo the change; the worker retries, then reports it.
func (s *Server) queueMail(ctx context.Context, q *db.Queries, org db.OrgID, kind mailKind,
	ref uuid.UUID, to string) error {
	if composers[kind] == nil {
		return fmt.Errorf("queue mail: unknown kind %q", kind)
	}
	err := q.QueueMail(ctx, db.QueueMailParams{OrgID: org, Kind: string(kind), RefID: ref,
		ToAddress: to})
	if err != nil {
		return fmt.Errorf("queue %s mail: %w", kind, err)
	}
	return nil
}

// publicURL returns the address of path as people reach the portal, for links in
// e-mails.
func (s *Server) publicURL(path string) string { return s.cfg.PublicURL + path }

// Outbox worker settings.
const (
	// mailLease is how long a taken mail stays away from other workers; a worker that
	// neither sends nor reports back within it is presumed dead.
	mailLease = 2 * time.Minute
	// mailSendTimeout bounds one composition and delivery.
	mailSendTimeout = time.Minute
	// mailBatch is how many mails a worker takes at a time.
	mailBatch = 10
	// mailIdleCheck is how often an idle worker looks anyway, in case a notification
	// was missed.
	mailIdleCheck = time.Minute
)

// defaultMailRetry is the pause before each retry of a mail that could not be sent;
// after the last, the mail is given up and reported. The pauses add up to under an
// hour, the life of a password reset link.
var defaultMailRetry = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	30 * time.Minute}

// runOutbox sends queued mail until ctx ends. It wakes when a mail is queued (a
// notification at commit, from any portal process), when a retry falls due, and once a
// minute in case a notification was lost.
func (s *Server) runOutbox(ctx context.Context) {
	ctx = db.Background(ctx)
	wake := make(chan struct{}, 1)
	nudge := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		_ = s.store.Listen(ctx, "outbox", func(string) { nudge() },
			func(ok bool, err error) {
				if ok {
					nudge() // catch up on what was queued while not listening
				} else if ctx.Err() == nil {
					s.log.Warn("outbox: not listening", slog.Any("error", err))
				}
			})
	}()
	defer func() { <-listening }()

	for {
		wait := s.sendDueMail(ctx)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(wait):
		}
	}
}

// sendDueMail sends every mail that is due and returns how long to wait before the
// next one falls due.
func (s *Server) sendDueMail(ctx context.Context) time.Duration {
	for ctx.Err() == nil {
		var due []db.TakeDueMailGlobalRow
		err := s.store.Staff(ctx, func(q *db.Queries) error {
			var err error
			due, err = q.TakeDueMailGlobal(ctx, db.TakeDueMailGlobalParams{
				LeaseSeconds: int32(mailLease / time.Second), MaxRows: mailBatch})
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("outbox: take due mail", slog.Any("error", err))
			}
			return 10 * time.Second
		}
		if len(due) == 0 {
			break
		}
		for _, m := range due {
			s.deliver(ctx, m)
		}
	}

	var next time.Time
	err := s.store.Staff(ctx, func(q *db.Queries) error {
		var err error
		next, err = q.NextMailDueGlobal(ctx)
		return err
	})
	if err != nil { // ErrNotFound when nothing is queued
		return mailIdleCheck
	}
	return min(max(time.Until(next), 0), mailIdleCheck)
}

// deliver composes and sends one mail and records how it went.
func (s *Server) deliver(ctx context.Context, m db.TakeDueMailGlobalRow) {
	log := s.log.With(slog.String("mail_id", m.ID.String()), slog.String("kind", m.Kind),
		slog.String("org_id", m.OrgID.String()), slog.Int("attempt", int(m.Attempts)))
	sctx, cancel := context.WithTimeout(ctx, mailSendTimeout)
	defer cancel()

	err := s.composeAndSend(sctx, m)
	switch {
	case err == nil:
		log.Info("mail sent")
		s.markMail(ctx, log, func(q *db.Queries) error {
			return q.MarkMailSentGlobal(ctx, db.MarkMailSentGlobalParams{ID: m.ID})
		})
	case errors.Is(err, errMailObsolete):
		log.Info("mail dropped: no longer needed")
		s.markMail(ctx, log, func(q *db.Queries) error {
			return q.MarkMailFailedGlobal(ctx, db.MarkMailFailedGlobalParams{ID: m.ID,
				LastError: ptr("no longer needed")})
		})
	case int(m.Attempts) > len(s.cfg.MailRetry):
		log.Error("mail not delivered: giving up", slog.Any("error", err))
		s.markMail(ctx, log, func(q *db.Queries) error {
			return q.MarkMailFailedGlobal(ctx, db.MarkMailFailedGlobalParams{ID: m.ID,
				LastError: ptr(err.Error())})
		})
	default:
		wait := s.cfg.MailRetry[m.Attempts-1]
		log.Warn("mail not sent: will retry", slog.Any("error", err),
			slog.Duration("retry_in", wait))
		s.markMail(ctx, log, func(q *db.Queries) error {
			return q.MarkMailRetryGlobal(ctx, db.MarkMailRetryGlobalParams{ID: m.ID,
				WaitSeconds: wait.Seconds(), LastError: ptr(err.Error())})
		})
	}
}

func (s *Server) composeAndSend(ctx context.Context, m db.TakeDueMailGlobalRow) error {
	compose := composers[mailKind(m.Kind)]
	if compose == nil {
		return fmt.Errorf("compose mail: unknown kind %q", m.Kind)
	}
	var msg email.Message
	err := s.store.InOrg(ctx, m.OrgID, func(q *db.Queries) error {
		var err error
		msg, err = compose(s, ctx, q, m.OrgID, m.RefID)
		return err
	})
	if err != nil {
		return fmt.Errorf("compose %s mail: %w", m.Kind, err)
	}
	msg.To = m.ToAddress
	return s.mailer.Send(ctx, msg)
}

func (s *Server) markMail(ctx context.Context, log *slog.Logger, fn func(*db.Queries) error) {
	if err := s.store.Staff(ctx, fn); err != nil && ctx.Err() == nil {
		log.Error("outbox: record delivery", slog.Any("error", err))
	}
}

func ptr[T any](v T) *T { return &v }
