package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

// TestPooledConnectionForgetsOrganization runs every kind of transaction on a pool of
// one connection and checks that the next user of that connection inherits neither
// the organization nor the sign-in address, however the transaction ended.
func TestPooledConnectionForgetsOrganization(t *testing.T) {
	t.Parallel()
	urls := dbtest.New(t)
	ctx := context.Background()
	store, err := db.Open(ctx, db.PoolOptions{AppURL: urls.App, StaffURL: urls.Staff,
		MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	f := dbtest.Seed(t, store, "not a real hash")
	for _, o := range []db.Organization{f.Acme, f.Globex} {
		err := store.InOrg(ctx, o.ID, func(q *db.Queries) error {
			return q.CreateActivity(ctx, db.CreateActivityParams{OrgID: o.ID,
				Action: "organization.open", TargetType: "organization"})
		})
		if err != nil {
			t.Fatalf("arrange activity: %v", err)
		}
	}
	pid := backendPID(t, store)

	errBoom := errors.New("boom")
	// seesAcme fails unless the transaction sees Acme's activity, proving that the
	// setting was in effect before it ended.
	seesAcme := func(q *db.Queries) error {
		rows, err := q.ListRecentActivity(ctx, db.ListRecentActivityParams{OrgID: f.Acme.ID,
			MaxRows: 10})
		if err == nil && len(rows) != 1 {
			err = fmt.Errorf("saw %d Acme activities, want 1", len(rows))
		}
		return err
	}
	tests := []struct {
		name    string
		run     func() error
		wantErr bool
	}{
		{name: "InOrg committed", run: func() error {
			return store.InOrg(ctx, f.Acme.ID, seesAcme)
		}},
		{name: "InOrg whose fn failed", wantErr: true, run: func() error {
			return store.InOrg(ctx, f.Acme.ID, func(q *db.Queries) error {
				return errors.Join(seesAcme(q), errBoom)
			})
		}},
		{name: "InOrg whose fn panicked", wantErr: true, run: func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return store.InOrg(ctx, f.Acme.ID, func(q *db.Queries) error {
				if err := seesAcme(q); err != nil {
					return err
				}
				panic("boom")
			})
		}},
		{name: "InOrg whose statement failed", wantErr: true, run: func() error {
			return store.InOrg(ctx, f.Acme.ID, func(q *db.Queries) error {
				if err := seesAcme(q); err != nil {
					return err
				}
				_ = q.CreateActivity(ctx, db.CreateActivityParams{OrgID: f.Globex.ID,
					Action: "organization.open", TargetType: "organization"})
				return nil
			})
		}},
		{name: "InOrg whose context was cancelled", wantErr: true, run: func() error {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			return store.InOrg(cctx, f.Acme.ID, func(q *db.Queries) error {
				if err := seesAcme(q); err != nil {
					return err
				}
				cancel()
				return cctx.Err()
			})
		}},
		{name: "ForSignIn committed", run: func() error {
			return store.ForSignIn(ctx, "alice@acme.example", func(q *db.Queries) error {
				_, err := q.GetUserByEmailGlobal(ctx,
					db.GetUserByEmailGlobalParams{Email: "alice@acme.example"})
				return err
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error: %t", err, tt.wantErr)
			}
			if got := backendPID(t, store); got != pid {
				t.Fatalf("backend %d, want the one pooled connection %d", got, pid)
			}
			checkNoLeak(t, store, f)
		})
	}
}

func backendPID(t *testing.T, store *db.Store) int32 {
	t.Helper()
	var pid int32
	err := store.SessionPool().QueryRow(context.Background(),
		"SELECT pg_backend_pid()").Scan(&pid)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// checkNoLeak checks that the pooled connection carries no setting and that the next
// transactions see only what they are entitled to. The organization's transaction
// comes first: a sign-in address left behind would show Alice to Globex.
func checkNoLeak(t *testing.T, store *db.Store, f dbtest.Fixture) {
	t.Helper()
	ctx := context.Background()
	var org, email string
	err := store.SessionPool().QueryRow(ctx, `
		SELECT coalesce(current_setting('app.org_id', true), ''),
		       coalesce(current_setting('app.signin_email', true), '')`).Scan(&org, &email)
	if err != nil {
		t.Fatal(err)
	}
	if org != "" || email != "" {
		t.Errorf("connection carries app.org_id %q, app.signin_email %q; want none",
			org, email)
	}

	err = store.InOrg(ctx, f.Globex.ID, func(q *db.Queries) error {
		rows, err := q.ListRecentActivity(ctx, db.ListRecentActivityParams{
			OrgID: f.Acme.ID, MaxRows: 10})
		if err == nil && len(rows) > 0 {
			return fmt.Errorf("Globex sees %d Acme activities", len(rows))
		}
		_, err = q.GetUserByEmailWithHash(ctx, db.GetUserByEmailWithHashParams{
			OrgID: f.Acme.ID, Email: "alice@acme.example"})
		if !errors.Is(err, db.ErrNotFound) {
			return fmt.Errorf("Globex looking up Alice: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	err = store.ForSignIn(ctx, "nobody@example.com", func(q *db.Queries) error {
		rows, err := q.ListRecentActivity(ctx, db.ListRecentActivityParams{
			OrgID: f.Acme.ID, MaxRows: 10})
		if err == nil && len(rows) > 0 {
			err = fmt.Errorf("a sign-in sees %d Acme activities", len(rows))
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

// TestPasswordResetVisibility checks the narrow path of a reset link: with the hash of
// one reset's token set, portal_app sees that reset and its user and nothing else, and
// may change neither.
func TestPasswordResetVisibility(t *testing.T) {
	t.Parallel()
	e := newTenantEnv(t)
	ctx := context.Background()
	var hash []byte
	err := e.staff.QueryRow(ctx, `SELECT token_hash FROM password_reset WHERE org_id = $1`,
		e.acme.org).Scan(&hash)
	if err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	tests := []struct {
		name       string
		hash       []byte
		wantResets int
		wantUsers  []string
	}{
		{name: "Acme's reset", hash: hash, wantResets: 1,
			wantUsers: []string{"alice@acme.example"}},
		{name: "a hash no reset has", hash: other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resets int
			var users []string
			err := e.store.ForPasswordReset(ctx, tt.hash, func(q *db.Queries) error {
				row, err := q.GetPasswordResetByTokenGlobal(ctx,
					db.GetPasswordResetByTokenGlobalParams{TokenHash: tt.hash})
				if err == nil {
					resets++
					users = append(users, row.Email)
				} else if !errors.Is(err, db.ErrNotFound) {
					return err
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if resets != tt.wantResets || !cmp.Equal(users, tt.wantUsers, cmpEmpty) {
				t.Errorf("resets %d users %v, want %d %v", resets, users, tt.wantResets,
					tt.wantUsers)
			}
		})
	}

	app := connect(t, e.urls.App)
	tx, err := app.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	exec := func(sql string, args ...any) int64 {
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return tag.RowsAffected()
	}
	exec("SELECT set_config('app.reset_token_hash', encode($1::bytea, 'hex'), true)", hash)
	var n int
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM password_reset) +
		(SELECT count(*) FROM app_user) + (SELECT count(*) FROM user_totp) +
		(SELECT count(*) FROM thread)`).Scan(&n); err != nil || n != 2 {
		t.Errorf("rows visible: %d (%v), want the reset and its user", n, err)
	}
	if got := exec("UPDATE password_reset SET used_at = now()") +
		exec("UPDATE app_user SET name = 'taken over'"); got != 0 {
		t.Errorf("the narrow path changed %d rows, want 0", got)
	}
}
