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
	"github.com/jackc/pgx/v5"

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

// TestSchemaIntegrity checks the rules the schema keeps whatever the caller: rows
// refer only to their own organization, people act only where they belong (JusB staff
// everywhere), roles fit their organization. It runs as portal_staff, which sees every
// organization, so that nothing but the schema stands in the way; each refusal must
// leave every table as it was.
func TestSchemaIntegrity(t *testing.T) {
	t.Parallel()
	e := newTenantEnv(t)
	a, g, f := e.acme, e.globex, e.f
	tests := []struct {
		name     string
		sql      string
		args     []any
		wantCode string // empty when the statement must succeed
	}{
		{name: "message on another organization's thread",
			sql: `INSERT INTO message (org_id, thread_id, author_id, body)
				VALUES ($1, $2, $3, 'x')`,
			args: []any{a.org, g.thread, f.Alice.ID}, wantCode: codeForeignKey},
		{name: "task assigned to a member of another organization",
			sql: `INSERT INTO task (org_id, title, assignee_id, created_by)
				VALUES ($1, 'x', $2, $3)`,
			args: []any{a.org, f.Carol.ID, f.Alice.ID}, wantCode: codeForeignKey},
		{name: "task reassigned to a member of another organization",
			sql:  `UPDATE task SET assignee_id = $1 WHERE id = $2`,
			args: []any{f.Carol.ID, a.task}, wantCode: codeForeignKey},
		{name: "attachment of another organization's file",
			sql: `INSERT INTO message_attachment (org_id, message_id, file_id)
				VALUES ($1, $2, $3)`,
			args: []any{a.org, a.message, g.file}, wantCode: codeForeignKey},
		{name: "note on another organization's task",
			sql: `INSERT INTO task_note (org_id, task_id, author_id, body)
				VALUES ($1, $2, $3, 'x')`,
			args: []any{a.org, g.task, f.Alice.ID}, wantCode: codeForeignKey},
		{name: "read state of another organization's thread",
			sql:  `INSERT INTO thread_read (org_id, thread_id, user_id) VALUES ($1, $2, $3)`,
			args: []any{a.org, g.thread, f.Alice.ID}, wantCode: codeForeignKey},
		{name: "password reset for another organization's user",
			sql: `INSERT INTO password_reset (org_id, user_id, token_hash, expires_at)
				VALUES ($1, $2, sha256('t'), now())`,
			args: []any{a.org, f.Carol.ID}, wantCode: codeForeignKey},
		{name: "thread started by a member of another organization",
			sql:  `INSERT INTO thread (org_id, title, created_by) VALUES ($1, 'x', $2)`,
			args: []any{a.org, f.Carol.ID}, wantCode: codeForeignKey},
		{name: "message written by a member of another organization",
			sql: `INSERT INTO message (org_id, thread_id, author_id, body)
				VALUES ($1, $2, $3, 'x')`,
			args: []any{a.org, a.thread, f.Carol.ID}, wantCode: codeForeignKey},
		{name: "message handed to a member of another organization",
			sql:  `UPDATE message SET author_id = $1 WHERE id = $2`,
			args: []any{f.Carol.ID, a.message}, wantCode: codeForeignKey},
		{name: "file uploaded by a member of another organization",
			sql: `INSERT INTO file (org_id, uploader_id, filename, storage_key, mime, size,
					sha256)
				VALUES ($1, $2, 'x.pdf', 'k-other', 'application/pdf', 1, sha256('x'))`,
			args: []any{a.org, f.Carol.ID}, wantCode: codeForeignKey},
		{name: "activity by a member of another organization",
			sql: `INSERT INTO activity (org_id, actor_id, action, target_type)
				VALUES ($1, $2, 'task.create', 'task')`,
			args: []any{a.org, f.Carol.ID}, wantCode: codeForeignKey},
		{name: "invitation by a member of another organization",
			sql: `INSERT INTO invitation (org_id, email, role, token_hash, invited_by,
					expires_at)
				VALUES ($1, 'x@example.com', 'client', sha256('i'), $2, now())`,
			args: []any{a.org, f.Carol.ID}, wantCode: codeForeignKey},
		{name: "jusb_admin outside the staff organization",
			sql: `INSERT INTO app_user (org_id, email, name, password_hash, role)
				VALUES ($1, 'eve@acme.example', 'Eve', 'x', 'jusb_admin')`,
			args: []any{a.org}, wantCode: codeCheck},
		{name: "client promoted to jusb_admin",
			sql: `UPDATE app_user SET role = 'jusb_admin' WHERE id = $1`, args: []any{f.Bob.ID},
			wantCode: codeCheck},
		{name: "client in the staff organization",
			sql: `INSERT INTO app_user (org_id, email, name, password_hash, role)
				VALUES ($1, 'eve@jusb.example', 'Eve', 'x', 'client')`,
			args: []any{f.JusB.ID}, wantCode: codeCheck},
		{name: "client moved into the staff organization",
			sql:  `UPDATE app_user SET org_id = $1 WHERE id = $2`,
			args: []any{f.JusB.ID, f.Bob.ID}, wantCode: codeCheck},
		{name: "staff demoted to client",
			sql:  `UPDATE app_user SET role = 'client' WHERE id = $1`,
			args: []any{f.Admin.ID}, wantCode: codeCheck},
		{name: "a second staff organization",
			sql: `INSERT INTO organization (name, slug, is_staff)
				VALUES ('Other', 'other', true)`,
			wantCode: codeUnique},
		{name: "a client organization made the staff one",
			sql: `UPDATE organization SET is_staff = true WHERE id = $1`, args: []any{a.org},
			wantCode: codeUnique},
		{name: "e-mail with capitals",
			sql: `INSERT INTO app_user (org_id, email, name, password_hash, role)
				VALUES ($1, 'Eve@acme.example', 'Eve', 'x', 'client')`,
			args: []any{a.org}, wantCode: codeCheck},
		{name: "e-mail taken in another organization",
			sql: `INSERT INTO app_user (org_id, email, name, password_hash, role)
				VALUES ($1, 'alice@acme.example', 'Alice', 'x', 'client')`,
			args: []any{g.org}, wantCode: codeUnique},
		{name: "task status outside the list",
			sql: `INSERT INTO task (org_id, title, status, created_by)
				VALUES ($1, 'x', 'blocked', $2)`,
			args: []any{a.org, f.Alice.ID}, wantCode: codeCheck},
		{name: "task status changed to one outside the list",
			sql: `UPDATE task SET status = 'closed' WHERE id = $1`, args: []any{a.task},
			wantCode: codeCheck},
		{name: "JusB staff start a thread in a client organization",
			sql:  `INSERT INTO thread (org_id, title, created_by) VALUES ($1, 'Welcome', $2)`,
			args: []any{a.org, f.Admin.ID}},
		{name: "JusB staff write a message in a client organization",
			sql: `INSERT INTO message (org_id, thread_id, author_id, body)
				VALUES ($1, $2, $3, 'Hello from JusB')`,
			args: []any{g.org, g.thread, f.Admin.ID}},
		{name: "JusB staff note a task in a client organization",
			sql: `INSERT INTO task_note (org_id, task_id, author_id, body)
				VALUES ($1, $2, $3, 'On it')`,
			args: []any{g.org, g.task, f.Admin.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := everything(t, e.staff)
			tag, err := e.staff.Exec(context.Background(), tt.sql, tt.args...)
			if tt.wantCode == "" {
				if err != nil || tag.RowsAffected() != 1 {
					t.Fatalf("error = %v, %d rows; want 1 row", err, tag.RowsAffected())
				}
				return
			}
			checkRefused(t, err, tt.wantCode)
			if diff := cmp.Diff(before, everything(t, e.staff)); diff != "" {
				t.Errorf("data changed (-before +after):\n%s", diff)
			}
		})
	}
}

// everything returns every row of every table in schema public as staff sees it.
func everything(t *testing.T, staff *pgx.Conn) map[string][]string {
	t.Helper()
	ctx := context.Background()
	rows, _ := staff.Query(ctx, `SELECT tablename FROM pg_tables
		WHERE schemaname = 'public'
		  AND has_table_privilege(format('%I.%I', schemaname, tablename), 'SELECT')
		ORDER BY 1`)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]string, len(tables))
	for _, table := range tables {
		sql := fmt.Sprintf("SELECT to_jsonb(x)::text FROM %s x ORDER BY 1",
			pgx.Identifier{table}.Sanitize())
		rows, _ := staff.Query(ctx, sql)
		if out[table], err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
	}
	return out
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
