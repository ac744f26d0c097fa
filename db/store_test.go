package db_test

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

// txBody is what a Store transaction runs.
type txBody = func(q *db.Queries) error

// TestStoreRollsBack checks that a transaction whose fn fails, panics or carries on
// after a failed statement leaves nothing behind, on the tenant and the staff path.
func TestStoreRollsBack(t *testing.T) {
	t.Parallel()
	store, _ := dbtest.Store(t, nil)
	f := dbtest.Seed(t, store, "not a real hash")
	ctx := context.Background()
	errBoom := errors.New("boom")
	inAcme := func(fn txBody) error { return store.InOrg(ctx, f.Acme.ID, fn) }
	staff := func(fn txBody) error { return store.Staff(ctx, fn) }

	paths := []struct {
		name  string
		tx    func(fn txBody) error
		write func(q *db.Queries) error
	}{
		{name: "InOrg",
			tx: inAcme,
			write: func(q *db.Queries) error {
				return q.CreateActivity(ctx, db.CreateActivityParams{OrgID: f.Acme.ID,
					ActorID: &f.Alice.ID, Action: "task.create", TargetType: "task"})
			}},
		{name: "Staff",
			tx: staff,
			write: func(q *db.Queries) error {
				_, err := q.CreateOrganizationGlobal(ctx, db.CreateOrganizationGlobalParams{
					Name: "Initech", Slug: "initech"})
				return err
			}},
	}
	failures := []struct {
		name      string
		fail      func(q *db.Queries) error
		wantErr   func(error) bool
		wantPanic any
	}{
		{name: "fn returns an error",
			fail:    func(*db.Queries) error { return fmt.Errorf("create task: %w", errBoom) },
			wantErr: func(err error) bool { return errors.Is(err, errBoom) }},
		{name: "fn panics", fail: func(*db.Queries) error { panic(errBoom) },
			wantPanic: errBoom},
		{name: "fn ignores a failed statement", fail: func(q *db.Queries) error {
			_ = q.CreateActivity(ctx, db.CreateActivityParams{OrgID: f.Acme.ID,
				Action: "Not An Action", TargetType: "task"})
			return nil
		}, wantErr: func(err error) bool {
			return err != nil && strings.Contains(err.Error(), "rolled back")
		}},
	}
	for _, p := range paths {
		for _, fl := range failures {
			t.Run(p.name+"/"+fl.name, func(t *testing.T) {
				before := written(t, store, f)
				recovered, err := catch(func() error {
					return p.tx(func(q *db.Queries) error {
						if err := p.write(q); err != nil {
							return fmt.Errorf("write: %w", err)
						}
						return fl.fail(q)
					})
				})
				if recovered != fl.wantPanic {
					t.Errorf("panic = %v, want %v", recovered, fl.wantPanic)
				}
				if fl.wantErr != nil && !fl.wantErr(err) {
					t.Errorf("error = %v", err)
				}
				if diff := cmp.Diff(before, written(t, store, f)); diff != "" {
					t.Errorf("data changed (-before +after):\n%s", diff)
				}
			})
		}
	}

	// The pool is still usable, and a successful transaction does write.
	t.Run("then a transaction that succeeds", func(t *testing.T) {
		before := written(t, store, f)
		for _, p := range paths {
			if err := p.tx(p.write); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
		}
		after := written(t, store, f)
		want := [2]int{before[0] + 1, before[1] + 1}
		if diff := cmp.Diff(want, after); diff != "" {
			t.Errorf("activities and organizations (-want +got):\n%s", diff)
		}
	})
}

// catch runs fn and returns its error, or the value it panicked with.
func catch(fn func() error) (recovered any, err error) {
	defer func() { recovered = recover() }()
	return nil, fn()
}

// written counts what the paths of TestStoreRollsBack write: Acme's activities and
// the organizations.
func written(t *testing.T, store *db.Store, f dbtest.Fixture) [2]int {
	t.Helper()
	ctx := context.Background()
	var n [2]int
	err := store.Staff(ctx, func(q *db.Queries) error {
		activity, err := q.ListRecentActivity(ctx, db.ListRecentActivityParams{
			OrgID: f.Acme.ID, MaxRows: 1000})
		if err != nil {
			return err
		}
		orgs, err := q.ListOrganizationsGlobal(ctx)
		n = [2]int{len(activity), len(orgs)}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStoreNotFound checks that a single-row query that finds nothing reports
// db.ErrNotFound both inside fn and to the caller, through any wrapping, and that
// another organization's row is not found exactly like a missing one.
func TestStoreNotFound(t *testing.T) {
	t.Parallel()
	store, _ := dbtest.Store(t, nil)
	f := dbtest.Seed(t, store, "not a real hash")
	ctx := context.Background()
	inAcme := func(fn txBody) error { return store.InOrg(ctx, f.Acme.ID, fn) }
	staff := func(fn txBody) error { return store.Staff(ctx, fn) }

	tests := []struct {
		name string
		tx   func(fn txBody) error
		load func(q *db.Queries) error
	}{
		{name: "missing organization on the staff path",
			tx: staff,
			load: func(q *db.Queries) error {
				_, err := q.GetOrganizationBySlugGlobal(ctx,
					db.GetOrganizationBySlugGlobalParams{Slug: "initech"})
				return err
			}},
		{name: "missing member",
			tx: inAcme,
			load: func(q *db.Queries) error {
				_, err := q.GetMember(ctx, db.GetMemberParams{OrgID: f.Acme.ID, ID: uuid.New()})
				return err
			}},
		{name: "another organization's member, by its organization",
			tx: inAcme,
			load: func(q *db.Queries) error {
				_, err := q.GetMember(ctx, db.GetMemberParams{OrgID: f.Globex.ID, ID: f.Carol.ID})
				return err
			}},
		{name: "another organization's member, by ours",
			tx: inAcme,
			load: func(q *db.Queries) error {
				_, err := q.GetMember(ctx, db.GetMemberParams{OrgID: f.Acme.ID, ID: f.Carol.ID})
				return err
			}},
		{name: "sign-in of an unknown address",
			tx: func(fn txBody) error {
				return store.ForSignIn(ctx, "mallory@example.com", fn)
			},
			load: func(q *db.Queries) error {
				_, err := q.GetUserByEmailGlobal(ctx,
					db.GetUserByEmailGlobalParams{Email: "mallory@example.com"})
				return err
			}},
		{name: "sign-in looking up another address than its own",
			tx: func(fn txBody) error { return store.ForSignIn(ctx, "bob@acme.example", fn) },
			load: func(q *db.Queries) error {
				_, err := q.GetUserByEmailGlobal(ctx,
					db.GetUserByEmailGlobalParams{Email: "carol@globex.example"})
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inside error
			err := tt.tx(func(q *db.Queries) error {
				inside = tt.load(q)
				return fmt.Errorf("load: %w", inside)
			})
			if !errors.Is(inside, db.ErrNotFound) {
				t.Errorf("inside fn: %v, want ErrNotFound", inside)
			}
			if !errors.Is(err, db.ErrNotFound) {
				t.Errorf("from the store: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestForSignInSeesOnlyThatUser(t *testing.T) {
	t.Parallel()
	store, _ := dbtest.Store(t, nil)
	f := dbtest.Seed(t, store, "not a real hash")
	ctx := context.Background()

	var got db.GetUserByEmailGlobalRow
	var members int64
	err := store.ForSignIn(ctx, "bob@acme.example", func(q *db.Queries) error {
		var err error
		got, err = q.GetUserByEmailGlobal(ctx,
			db.GetUserByEmailGlobalParams{Email: "bob@acme.example"})
		if err != nil {
			return err
		}
		// Counting members of every organization counts only the visible row.
		orgs, err := q.ListOrganizationsGlobal(ctx)
		for _, o := range orgs {
			members += o.ActiveMembers
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != f.Bob.ID || got.OrgSlug != "acme" {
		t.Errorf("signed in %v of %q, want Bob %v of acme", got.ID, got.OrgSlug, f.Bob.ID)
	}
	if members != 1 {
		t.Errorf("sign-in sees %d users, want 1", members)
	}
}

func TestInOrgRefusesNoOrganization(t *testing.T) {
	t.Parallel()
	store, _ := dbtest.Store(t, nil)
	called := false
	err := store.InOrg(context.Background(), db.OrgID{}, func(*db.Queries) error {
		called = true
		return nil
	})
	if err == nil || called {
		t.Errorf("InOrg(zero) = %v, fn called: %t; want an error and no call", err, called)
	}
}

// TestNoPoolOutsideStore keeps the promise of Store's documentation: outside package
// db no code (tests aside) imports pgxpool, so every tenant query goes through a
// transaction that InOrg has bound to one organization.
func TestNoPoolOutsideStore(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	var offenders []string
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "db" || rel == "node_modules" || rel == "tools" ||
				(rel != "." && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range file.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/jackc/pgx/v5/pgxpool" {
				offenders = append(offenders, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(offenders) > 0 {
		t.Errorf("pgxpool imported outside package db: %v", offenders)
	}
}
