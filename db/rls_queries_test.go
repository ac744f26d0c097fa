package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

// TestQueriesConfinedToOrganization is T6 for the generated queries: run as portal_app
// with no organization, or with Acme's while asking for Globex's rows, each reads
// nothing, and writes nothing, of Globex.
func TestQueriesConfinedToOrganization(t *testing.T) {
	t.Parallel()
	store, _ := dbtest.Store(t, nil)
	f := dbtest.Seed(t, store, "not a real hash")
	ctx := context.Background()
	err := store.Staff(ctx, func(q *db.Queries) error {
		return q.CreateActivity(ctx, db.CreateActivityParams{OrgID: f.Globex.ID,
			ActorID: &f.Carol.ID, Action: "task.create", TargetType: "task"})
	})
	if err != nil {
		t.Fatal(err)
	}

	g, carol := f.Globex.ID, f.Carol.ID
	queries := []struct {
		name string
		// run returns the number of Globex rows it saw or changed, where it can tell.
		run     func(q *db.Queries) (int, error)
		wantErr bool
	}{
		{name: "ListRecentActivity", run: func(q *db.Queries) (int, error) {
			rows, err := q.ListRecentActivity(ctx, db.ListRecentActivityParams{OrgID: g,
				MaxRows: 10})
			return len(rows), err
		}},
		{name: "GetMember", run: func(q *db.Queries) (int, error) {
			_, err := q.GetMember(ctx, db.GetMemberParams{OrgID: g, ID: carol})
			return found(err)
		}},
		{name: "GetUserByEmailWithHash", run: func(q *db.Queries) (int, error) {
			_, err := q.GetUserByEmailWithHash(ctx, db.GetUserByEmailWithHashParams{OrgID: g,
				Email: "carol@globex.example"})
			return found(err)
		}},
		{name: "CreateActivity", wantErr: true, run: func(q *db.Queries) (int, error) {
			return 0, q.CreateActivity(ctx, db.CreateActivityParams{OrgID: g,
				ActorID: &f.Admin.ID, Action: "task.create", TargetType: "task"})
		}},
		{name: "CreateUser", wantErr: true, run: func(q *db.Queries) (int, error) {
			_, err := q.CreateUser(ctx, db.CreateUserParams{OrgID: g,
				Email: "eve@globex.example", Name: "Eve", PasswordHash: "x", Role: "client"})
			return 0, err
		}},
		{name: "UpdateUserPassword", run: func(q *db.Queries) (int, error) {
			return 0, q.UpdateUserPassword(ctx, db.UpdateUserPasswordParams{OrgID: g,
				ID: carol, PasswordHash: "taken over"})
		}},
		{name: "UpdateUserProfile", run: func(q *db.Queries) (int, error) {
			return 0, q.UpdateUserProfile(ctx, db.UpdateUserProfileParams{OrgID: g,
				ID: carol, Name: "Taken Over", Role: "client"})
		}},
		{name: "SetUserActive", run: func(q *db.Queries) (int, error) {
			return 0, q.SetUserActive(ctx, db.SetUserActiveParams{OrgID: g, ID: carol})
		}},
		{name: "MarkUserSignedIn", run: func(q *db.Queries) (int, error) {
			return 0, q.MarkUserSignedIn(ctx, db.MarkUserSignedInParams{OrgID: g, ID: carol})
		}},
	}
	scopes := []struct {
		name string
		tx   func(fn txBody) error
	}{
		// A sign-in transaction for no address is portal_app with nothing set.
		{name: "no organization", tx: func(fn txBody) error {
			return store.ForSignIn(ctx, "", fn)
		}},
		{name: "Acme asking for Globex", tx: func(fn txBody) error {
			return store.InOrg(ctx, f.Acme.ID, fn)
		}},
	}
	for _, s := range scopes {
		for _, tt := range queries {
			t.Run(s.name+"/"+tt.name, func(t *testing.T) {
				before := globexState(t, store, f)
				var n int
				err := s.tx(func(q *db.Queries) (err error) {
					n, err = tt.run(q)
					return err
				})
				if (err != nil) != tt.wantErr {
					t.Errorf("error = %v, want error: %t", err, tt.wantErr)
				}
				if n != 0 {
					t.Errorf("saw %d of Globex's rows, want 0", n)
				}
				if diff := cmp.Diff(before, globexState(t, store, f)); diff != "" {
					t.Errorf("Globex changed (-before +after):\n%s", diff)
				}
			})
		}
	}
}

// found turns a single-row lookup's error into a count of rows seen.
func found(err error) (int, error) {
	if errors.Is(err, db.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return 1, nil
}

// globexState is Globex's users, with the columns the queries above could change,
// and its activity, read on the staff path.
func globexState(t *testing.T, store *db.Store, f dbtest.Fixture) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	err := store.Staff(ctx, func(q *db.Queries) error {
		for _, email := range []string{"carol@globex.example", "dave@globex.example"} {
			u, err := q.GetMember(ctx, db.GetMemberParams{OrgID: f.Globex.ID,
				ID: userID(f, email)})
			if err != nil {
				return err
			}
			h, err := q.GetUserByEmailWithHash(ctx, db.GetUserByEmailWithHashParams{
				OrgID: f.Globex.ID, Email: email})
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s %s %s active=%t v%d hash=%s", u.Email, u.Name,
				u.Role, u.IsActive, u.SessionVersion, h.PasswordHash))
		}
		rows, err := q.ListRecentActivity(ctx, db.ListRecentActivityParams{
			OrgID: f.Globex.ID, MaxRows: 100})
		for _, r := range rows {
			out = append(out, fmt.Sprintf("activity %d %s", r.ID, r.Action))
		}
		all, err2 := q.ListOrganizationsGlobal(ctx)
		for _, o := range all {
			out = append(out, fmt.Sprintf("%s members=%d", o.Slug, o.ActiveMembers))
		}
		return errors.Join(err, err2)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func userID(f dbtest.Fixture, email string) uuid.UUID {
	for _, u := range []db.CreateUserRow{f.Admin, f.Alice, f.Bob, f.Carol, f.Dave} {
		if u.Email == email {
			return u.ID
		}
	}
	return uuid.Nil
}
