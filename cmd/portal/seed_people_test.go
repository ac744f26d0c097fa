package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// TestSeedDemoInvitations: seed-demo leaves one pending invitation per client
// organization, and a second run changes none of them.
func TestSeedDemoInvitations(t *testing.T) {
	urls := useDatabase(t)
	pending := func() []string {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, urls.Staff)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, _ := conn.Query(ctx, `SELECT o.slug || ' ' || i.email || ' ' || i.role || ' ' ||
			i.expires_at || ' ' || encode(i.token_hash, 'hex')
			FROM invitation i JOIN organization o ON o.id = i.org_id
			WHERE i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
			ORDER BY o.slug`)
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	mustRun(t, "", "seed-demo")
	first := pending()
	if len(first) != 2 {
		t.Fatalf("pending invitations %v, want one in Acme and one in Globex", first)
	}
	mustRun(t, "", "seed-demo")
	if diff := cmp.Diff(first, pending()); diff != "" {
		t.Errorf("second run changed the invitations (-first +second):\n%s", diff)
	}
}
