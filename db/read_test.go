package db_test

import (
	"context"
	"testing"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

// TestReadInOrgReturnsConnectionAfterPanic checks that a panic in a row callback does
// not keep the pool's only connection.
func TestReadInOrgReturnsConnectionAfterPanic(t *testing.T) {
	urls := dbtest.New(t)
	ctx := context.Background()
	store, err := db.Open(ctx, db.PoolOptions{AppURL: urls.App, StaffURL: urls.Staff, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	f := dbtest.Seed(t, store, "x")

	func() {
		defer func() { _ = recover() }()
		_ = store.ReadInOrg(ctx, f.Acme.ID, func(r *db.Reads) {
			db.PanicInReadForTest(r)
		})
	}()

	_, err = store.LoadDashboard(ctx, f.Acme.ID, f.Alice.ID)
	if err != nil {
		t.Fatalf("read after the panic: %v", err)
	}
}
