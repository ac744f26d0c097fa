package db_test

import (
	"context"
	"testing"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

func TestInOrgSeesOnlyItsOrganization(t *testing.T) {
	store, _ := dbtest.Store(t, nil)
	f := dbtest.Seed(t, store, "x")
	ctx := context.Background()

	var n int
	err := store.InOrg(ctx, f.Acme.ID, func(q *db.Queries) error {
		rows, err := q.ListRecentActivity(ctx, db.ListRecentActivityParams{OrgID: f.Globex.ID,
			MaxRows: 10})
		n = len(rows)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("rows = %d", n)
	}
}
