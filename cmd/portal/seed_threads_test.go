package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// TestSeedDemoThreads checks the demo conversations: each organization gets its
// threads once, with messages by its users and by staff, rendered, and the demo files
// attached.
func TestSeedDemoThreads(t *testing.T) {
	urls := useDatabase(t)
	mustRun(t, "", "seed-demo")
	mustRun(t, "", "seed-demo") // adds nothing the second time

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, urls.Staff)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	type count struct {
		Org                                  string
		Threads, Messages, Staff, Attachment int
		Unrendered                           int
	}
	rows, _ := conn.Query(ctx, `
		SELECT o.slug,
		       (SELECT count(*) FROM thread t WHERE t.org_id = o.id)::int,
		       (SELECT count(*) FROM message m WHERE m.org_id = o.id)::int,
		       (SELECT count(*) FROM message m JOIN app_user u ON u.id = m.author_id
		        WHERE m.org_id = o.id AND u.role = 'jusb_admin')::int,
		       (SELECT count(*) FROM message_attachment a WHERE a.org_id = o.id)::int,
		       (SELECT count(*) FROM message m WHERE m.org_id = o.id
		        AND m.body_html = '')::int
		FROM organization o WHERE NOT o.is_staff ORDER BY o.slug`)
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[count])
	if err != nil {
		t.Fatal(err)
	}
	want := []count{
		{Org: "acme", Threads: 3, Messages: 9, Staff: 3, Attachment: 4},
		{Org: "globex", Threads: 2, Messages: 7, Staff: 3, Attachment: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("demo threads (-want +got):\n%s", diff)
	}
}
