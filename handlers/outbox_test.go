package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/db"
)

// invite creates an invitation to Acme from Alice, as the people page would.
func invite(t *testing.T, env *testEnv, address string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := env.store.InOrg(context.Background(), env.fix.Acme.ID, func(q *db.Queries) error {
		var err error
		id, err = env.srv.createInvitation(context.Background(), q, env.fix.Acme.ID, address,
			"client", env.fix.Alice.ID)
		return err
	})
	if err != nil {
		t.Fatalf("create invitation: %v", err)
	}
	return id
}

// tokenOf returns the token of an invitation link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// storedTokenHash reads an invitation's token hash behind the portal's back.
func storedTokenHash(t *testing.T, env *testEnv, id uuid.UUID) []byte {
	t.Helper()
	var hash []byte
	err := env.staffConn().QueryRow(context.Background(),
		"SELECT token_hash FROM invitation WHERE id = $1", id).Scan(&hash)
	if err != nil {
		t.Fatal(err)
	}
	return hash
}

// outboxState reads the delivery state of the mails about ref.
func outboxState(t *testing.T, conn *pgx.Conn, ref uuid.UUID) (attempts int, sent,
	failed bool) {
	t.Helper()
	err := conn.QueryRow(context.Background(), `SELECT attempts,
		sent_at IS NOT NULL, failed_at IS NOT NULL FROM outbox WHERE ref_id = $1`, ref).
		Scan(&attempts, &sent, &failed)
	if err != nil {
		t.Fatal(err)
	}
	return attempts, sent, failed
}

// waitForOutbox waits until the mail about ref is sent or given up.
func waitForOutbox(t *testing.T, env *testEnv, ref uuid.UUID) (attempts int, sent bool) {
	t.Helper()
	conn := env.staffConn()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		attempts, sent, failed := outboxState(t, conn, ref)
		if sent || failed {
			return attempts, sent
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the outbox did not settle within 15 s")
	return 0, false
}

func TestInvitationMail(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{})
	id := invite(t, env, "newcomer@acme.example")

	got := env.mailbox.waitFor(t, "newcomer@acme.example")
	if want := "invites you to " + env.fix.Acme.Name; !strings.Contains(got.Subject, want) {
		t.Errorf("subject %q, want it to say %q", got.Subject, want)
	}
	if !strings.Contains(got.From, "portal@jusb.example") {
		t.Errorf("from %q", got.From)
	}
	link := linkIn(t, env, got, "/invitations/accept?token=")
	if !strings.Contains(got.HTML, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`) {
		t.Errorf("the HTML part lacks the link %s:\n%s", link, got.HTML)
	}

	token := tokenOf(t, link)
	if !bytes.Equal(storedTokenHash(t, env, id), hashToken(token)) {
		t.Error("the stored hash is not the hash of the mailed token")
	}
	if _, sent := waitForOutbox(t, env, id); !sent {
		t.Error("the outbox does not record the mail as sent")
	}

	// The raw token is nowhere in the database, and not in the log.
	var found bool
	err := env.staffConn().QueryRow(context.Background(), `SELECT EXISTS (
		SELECT 1 FROM outbox o WHERE o::text LIKE '%' || $1 || '%')
		OR EXISTS (SELECT 1 FROM activity a WHERE a::text LIKE '%' || $1 || '%')
		OR EXISTS (SELECT 1 FROM invitation i WHERE i::text LIKE '%' || $1 || '%')`,
		token).Scan(&found)
	if err != nil {
		t.Fatal(err)
	}
	if found {
		t.Error("the raw token is stored in the database")
	}
	if strings.Contains(env.logs.String(), token) {
		t.Error("the raw token is in the log")
	}

	var action string
	err = env.staffConn().QueryRow(context.Background(), `SELECT action FROM activity
		WHERE org_id = $1 AND target_id = $2`, env.fix.Acme.ID, id).Scan(&action)
	if err != nil || action != "invitation.sent" {
		t.Errorf("activity for the invitation: %q, %v", action, err)
	}
}

func TestOutboxRetriesAndReissuesTheToken(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{})
	env.mailbox.refuseNext(1)
	id := invite(t, env, "retry@acme.example")

	got := env.mailbox.waitFor(t, "retry@acme.example")
	attempts, sent := waitForOutbox(t, env, id)
	if !sent || attempts != 2 {
		t.Errorf("sent %v after %d attempts, want sent after 2", sent, attempts)
	}
	token := tokenOf(t, linkIn(t, env, got, "/invitations/accept?token="))
	if !bytes.Equal(storedTokenHash(t, env, id), hashToken(token)) {
		t.Error("the stored hash is not that of the token in the mail that arrived")
	}
	if !strings.Contains(env.logs.String(), "will retry") {
		t.Error("the failed attempt is not logged")
	}
}

func TestOutboxGivesUpAndReports(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{})
	env.mailbox.refuseNext(100)
	id := invite(t, env, "never@acme.example")

	attempts, sent := waitForOutbox(t, env, id)
	if sent || attempts != 3 {
		t.Errorf("sent %v after %d attempts, want given up after 3 (two retries)", sent,
			attempts)
	}
	if !strings.Contains(env.logs.String(), "mail not delivered: giving up") {
		t.Error("giving up is not logged as an error")
	}
	// The change that queued the mail stands.
	var n int
	err := env.staffConn().QueryRow(context.Background(),
		"SELECT count(*) FROM invitation WHERE id = $1", id).Scan(&n)
	if err != nil || n != 1 {
		t.Errorf("invitation rows: %d, %v", n, err)
	}
}

func TestOutboxQueuesNothingForARolledBackChange(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{})
	errAbort := errors.New("abort")
	err := env.store.InOrg(context.Background(), env.fix.Acme.ID, func(q *db.Queries) error {
		_, err := env.srv.createInvitation(context.Background(), q, env.fix.Acme.ID,
			"rolled@acme.example", "client", env.fix.Alice.ID)
		if err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InOrg: %v", err)
	}
	var n int
	if err := env.staffConn().QueryRow(context.Background(),
		"SELECT count(*) FROM outbox").Scan(&n); err != nil || n != 0 {
		t.Errorf("outbox rows after a rollback: %d, %v", n, err)
	}
}

func TestOutboxDropsARevokedInvitation(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, Config{})
	env.mailbox.refuseNext(1) // the first attempt fails; the invitation is revoked meanwhile
	id := invite(t, env, "revoked@acme.example")
	conn := env.staffConn()
	for {
		if attempts, _, _ := outboxState(t, conn, id); attempts >= 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	env.exec(t, "UPDATE invitation SET revoked_at = now() WHERE id = $1", id)

	if _, sent := waitForOutbox(t, env, id); sent {
		t.Error("the mail of a revoked invitation was sent")
	}
	if n := env.mailbox.count(); n != 0 {
		t.Errorf("%d mails arrived, want none", n)
	}
}
