package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

// SQLSTATE codes the tests expect.
const (
	codeRLS        = "42501" // insufficient_privilege: new row violates row-level security
	codeForeignKey = "23503" // foreign_key_violation, also raised by actor_may_act
	codeCheck      = "23514" // check_violation, also raised by app_user_role_fits_org
	codeUnique     = "23505" // unique_violation
)

// cmpEmpty treats a nil slice and an empty one alike.
var cmpEmpty = cmpopts.EquateEmpty()

// orgRows are the IDs of one client organization's rows in the tenant tables.
type orgRows struct {
	org                         db.OrgID
	member                      uuid.UUID // the organization's client_admin
	thread, message, file, task uuid.UUID
}

// tenantTable is a table under the tenant policy: how to add a row to an organization
// and how to change its rows.
type tenantTable struct {
	name string
	// insert adds one row with the given id (where the table has a uuid id) to d's
	// organization, by actor where the table names one.
	insert func(d orgRows, id, actor uuid.UUID) (string, []any)
	// change is the SET clause of an UPDATE that changes the table's rows.
	change string
}

// tenantTables are the tables that hold tenant data besides app_user, in an order in
// which each row's references exist before it.
var tenantTables = []tenantTable{
	{name: "thread", change: "title = 'taken over'",
		insert: func(d orgRows, id, actor uuid.UUID) (string, []any) {
			return `INSERT INTO thread (id, org_id, title, created_by)
				VALUES ($1, $2, 'Kick-off', $3)`, []any{id, d.org, actor}
		}},
	{name: "message", change: "body = 'taken over'",
		insert: func(d orgRows, id, actor uuid.UUID) (string, []any) {
			return `INSERT INTO message (id, org_id, thread_id, author_id, body)
				VALUES ($1, $2, $3, $4, 'Hello')`, []any{id, d.org, d.thread, actor}
		}},
	{name: "file", change: "filename = 'taken-over.pdf'",
		insert: func(d orgRows, id, actor uuid.UUID) (string, []any) {
			return `INSERT INTO file (id, org_id, uploader_id, filename, storage_key, mime,
					size, sha256)
				VALUES ($1, $2, $3, 'brief.pdf', gen_random_uuid()::text, 'application/pdf',
					5, sha256('brief'))`, []any{id, d.org, actor}
		}},
	{name: "message_attachment", change: "file_id = file_id",
		insert: func(d orgRows, _, _ uuid.UUID) (string, []any) {
			return `INSERT INTO message_attachment (org_id, message_id, file_id)
				VALUES ($1, $2, $3)`, []any{d.org, d.message, d.file}
		}},
	{name: "task", change: "status = 'done'",
		insert: func(d orgRows, id, actor uuid.UUID) (string, []any) {
			return `INSERT INTO task (id, org_id, title, assignee_id, created_by)
				VALUES ($1, $2, 'Review the brief', $3, $4)`, []any{id, d.org, d.member, actor}
		}},
	{name: "task_note", change: "body = 'taken over'",
		insert: func(d orgRows, id, actor uuid.UUID) (string, []any) {
			return `INSERT INTO task_note (id, org_id, task_id, author_id, body)
				VALUES ($1, $2, $3, $4, 'Looks good')`, []any{id, d.org, d.task, actor}
		}},
	{name: "activity", change: "summary = 'taken over'",
		insert: func(d orgRows, _, actor uuid.UUID) (string, []any) {
			return `INSERT INTO activity (org_id, actor_id, action, target_type, target_id,
					summary)
				VALUES ($1, $2, 'task.create', 'task', $3, 'Review the brief')`,
				[]any{d.org, actor, d.task}
		}},
	{name: "thread_read", change: "last_read_at = last_read_at - interval '1 day'",
		insert: func(d orgRows, _, actor uuid.UUID) (string, []any) {
			return `INSERT INTO thread_read (org_id, thread_id, user_id)
				VALUES ($1, $2, $3)`, []any{d.org, d.thread, actor}
		}},
	{name: "invitation", change: "revoked_at = now()",
		insert: func(d orgRows, id, actor uuid.UUID) (string, []any) {
			return `INSERT INTO invitation (id, org_id, email, role, token_hash, invited_by,
					expires_at)
				VALUES ($1, $2, $3, 'client', sha256(gen_random_uuid()::text::bytea), $4,
					now() + interval '7 days')`,
				[]any{id, d.org, "guest-" + id.String() + "@example.com", actor}
		}},
	{name: "password_reset", change: "used_at = now()",
		insert: func(d orgRows, id, _ uuid.UUID) (string, []any) {
			return `INSERT INTO password_reset (id, org_id, user_id, token_hash, expires_at)
				VALUES ($1, $2, $3, sha256(gen_random_uuid()::text::bytea),
					now() + interval '1 hour')`, []any{id, d.org, d.member}
		}},
	{name: "user_totp", change: "last_step = 1",
		insert: func(d orgRows, _, _ uuid.UUID) (string, []any) {
			// One key per user: a second insert for the same member is refused by the
			// policy before the primary key, which is what the tests look at.
			return `INSERT INTO user_totp (org_id, user_id, secret)
				VALUES ($1, $2, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP')`, []any{d.org, d.member}
		}},
	{name: "recovery_code", change: "used_at = now()",
		insert: func(d orgRows, id, _ uuid.UUID) (string, []any) {
			return `INSERT INTO recovery_code (id, org_id, user_id, code_hash)
				VALUES ($1, $2, $3, sha256(gen_random_uuid()::text::bytea))`,
				[]any{id, d.org, d.member}
		}},
}

// tenantEnv is a database with the fixture and one row per client organization in
// every tenant table, and a connection as portal_staff to arrange and inspect data.
// (The tables' owner cannot: row-level security is forced on it too.)
type tenantEnv struct {
	store        *db.Store
	urls         dbtest.URLs
	f            dbtest.Fixture
	acme, globex orgRows
	staff        *pgx.Conn
}

func newTenantEnv(t *testing.T) tenantEnv {
	t.Helper()
	store, urls := dbtest.Store(t, nil)
	e := tenantEnv{store: store, urls: urls, f: dbtest.Seed(t, store, "not a real hash")}
	e.staff = connect(t, urls.Staff)
	e.acme = seedOrgRows(t, e.staff, e.f.Acme.ID, e.f.Alice.ID)
	e.globex = seedOrgRows(t, e.staff, e.f.Globex.ID, e.f.Carol.ID)
	return e
}

// seedOrgRows adds one row to every tenant table for org, made by member.
func seedOrgRows(t *testing.T, staff *pgx.Conn, org db.OrgID, member uuid.UUID) orgRows {
	t.Helper()
	d := orgRows{org: org, member: member, thread: uuid.New(), message: uuid.New(),
		file: uuid.New(), task: uuid.New()}
	ids := map[string]uuid.UUID{"thread": d.thread, "message": d.message, "file": d.file,
		"task": d.task}
	for _, tbl := range tenantTables {
		id, ok := ids[tbl.name]
		if !ok {
			id = uuid.New()
		}
		sql, args := tbl.insert(d, id, member)
		if _, err := staff.Exec(context.Background(), sql, args...); err != nil {
			t.Fatalf("seed %s: %v", tbl.name, err)
		}
	}
	return d
}

// connect opens a connection to url, closed when t ends.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// exec runs sql on conn and fails the test if it fails.
func exec(t *testing.T, conn *pgx.Conn, sql string, args ...any) pgconn.CommandTag {
	t.Helper()
	tag, err := conn.Exec(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag
}

// count returns the number of rows of table that conn sees, of org when org is set.
func count(t *testing.T, conn *pgx.Conn, table string, org *db.OrgID) int {
	t.Helper()
	sql := "SELECT count(*) FROM " + pgx.Identifier{table}.Sanitize()
	var args []any
	if org != nil {
		sql += " WHERE org_id = $1"
		args = append(args, *org)
	}
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// rowsOf returns every row of table in org, as portal_staff sees it.
func rowsOf(t *testing.T, staff *pgx.Conn, table string, org db.OrgID) []map[string]any {
	t.Helper()
	sql := fmt.Sprintf(`SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY to_jsonb(x)::text),
		'[]') FROM %s x WHERE org_id = $1`, pgx.Identifier{table}.Sanitize())
	var rows []map[string]any
	if err := staff.QueryRow(context.Background(), sql, org).Scan(&rows); err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return rows
}

// checkRefused fails the test unless err is a PostgreSQL error with one of codes.
func checkRefused(t *testing.T, err error, codes ...string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Errorf("error = %v, want SQLSTATE %v", err, codes)
		return
	}
	if !slices.Contains(codes, pgErr.Code) {
		t.Errorf("error = %v (%s), want SQLSTATE %v", err, pgErr.Code, codes)
	}
}

// setOrg binds conn to org for the rest of its session; an empty org leaves the
// setting empty, as it reads after a transaction-local setting ends.
func setOrg(t *testing.T, conn *pgx.Conn, org string) {
	t.Helper()
	exec(t, conn, "SELECT set_config('app.org_id', $1, false)", org)
}

// TestTenantTablesWithoutOrganization is T6 failing closed: as portal_app with no
// organization set, every tenant table is empty and refuses writes, whatever the data
// in the client organizations.
func TestTenantTablesWithoutOrganization(t *testing.T) {
	t.Parallel()
	e := newTenantEnv(t)
	unset := []struct {
		name    string
		prepare func(t *testing.T, conn *pgx.Conn)
	}{
		{name: "never set", prepare: func(*testing.T, *pgx.Conn) {}},
		{name: "set empty", prepare: func(t *testing.T, c *pgx.Conn) { setOrg(t, c, "") }},
		{name: "after a transaction-local setting", prepare: func(t *testing.T, c *pgx.Conn) {
			exec(t, c, "BEGIN")
			exec(t, c, "SELECT set_config('app.org_id', $1, true)", e.f.Acme.ID.String())
			exec(t, c, "COMMIT")
		}},
	}
	for _, u := range unset {
		app := connect(t, e.urls.App)
		u.prepare(t, app)
		for _, tbl := range tenantTables {
			t.Run(u.name+"/"+tbl.name, func(t *testing.T) {
				checkNoAccess(t, e, app, tbl)
			})
		}
	}
}

// checkNoAccess checks that app, with no organization, neither sees nor changes any
// row of tbl.
func checkNoAccess(t *testing.T, e tenantEnv, app *pgx.Conn, tbl tenantTable) {
	ctx := context.Background()
	before := [][]map[string]any{rowsOf(t, e.staff, tbl.name, e.acme.org),
		rowsOf(t, e.staff, tbl.name, e.globex.org)}
	if len(before[0]) == 0 || len(before[1]) == 0 {
		t.Fatalf("fixture lacks %s rows in an organization", tbl.name)
	}

	if n := count(t, app, tbl.name, nil); n != 0 {
		t.Errorf("SELECT sees %d rows, want 0", n)
	}
	for _, d := range []orgRows{e.acme, e.globex} {
		sql, args := tbl.insert(d, uuid.New(), e.f.Admin.ID)
		_, err := app.Exec(ctx, sql, args...)
		// actor_may_act sees no user either, so it may refuse before the policy does.
		checkRefused(t, err, codeRLS, codeForeignKey)
	}
	update := fmt.Sprintf("UPDATE %s SET %s", pgx.Identifier{tbl.name}.Sanitize(),
		tbl.change)
	if tag := exec(t, app, update); tag.RowsAffected() != 0 {
		t.Errorf("UPDATE changed %d rows, want 0", tag.RowsAffected())
	}
	tag := exec(t, app, "DELETE FROM "+pgx.Identifier{tbl.name}.Sanitize())
	if tag.RowsAffected() != 0 {
		t.Errorf("DELETE removed %d rows, want 0", tag.RowsAffected())
	}

	after := [][]map[string]any{rowsOf(t, e.staff, tbl.name, e.acme.org),
		rowsOf(t, e.staff, tbl.name, e.globex.org)}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("rows changed (-before +after):\n%s", diff)
	}
}

// TestTenantTablesConfineToOrganization is T6 with the organization set to Acme: Acme's
// rows are there, Globex's are invisible and untouchable, and no row can be written
// into Globex or moved there.
func TestTenantTablesConfineToOrganization(t *testing.T) {
	t.Parallel()
	e := newTenantEnv(t)
	app := connect(t, e.urls.App)
	setOrg(t, app, e.acme.org.String())
	ctx := context.Background()

	for _, tbl := range tenantTables {
		t.Run(tbl.name, func(t *testing.T) {
			name := pgx.Identifier{tbl.name}.Sanitize()
			acmeBefore := rowsOf(t, e.staff, tbl.name, e.acme.org)
			globexBefore := rowsOf(t, e.staff, tbl.name, e.globex.org)

			if got, want := count(t, app, tbl.name, nil), len(acmeBefore); got != want {
				t.Errorf("SELECT sees %d rows, want Acme's %d", got, want)
			}
			if n := count(t, app, tbl.name, &e.globex.org); n != 0 {
				t.Errorf("SELECT of Globex's rows sees %d, want 0", n)
			}

			// JusB staff may act in any organization, so only the policy refuses this.
			sql, args := tbl.insert(e.globex, uuid.New(), e.f.Admin.ID)
			_, err := app.Exec(ctx, sql, args...)
			checkRefused(t, err, codeRLS)

			update := fmt.Sprintf("UPDATE %s SET %s WHERE org_id = $1", name, tbl.change)
			if tag := exec(t, app, update, e.globex.org); tag.RowsAffected() != 0 {
				t.Errorf("UPDATE of Globex's rows changed %d, want 0", tag.RowsAffected())
			}
			tag := exec(t, app, "DELETE FROM "+name+" WHERE org_id = $1", e.globex.org)
			if tag.RowsAffected() != 0 {
				t.Errorf("DELETE of Globex's rows removed %d, want 0", tag.RowsAffected())
			}
			// Moving an Acme row to Globex: refused by the policy's WITH CHECK, or first
			// by actor_may_act where the row names an Acme member.
			_, err = app.Exec(ctx, "UPDATE "+name+" SET org_id = $1", e.globex.org)
			checkRefused(t, err, codeRLS, codeForeignKey)

			globexAfter := rowsOf(t, e.staff, tbl.name, e.globex.org)
			if diff := cmp.Diff(globexBefore, globexAfter); diff != "" {
				t.Errorf("Globex's rows changed (-before +after):\n%s", diff)
			}
			acmeAfter := rowsOf(t, e.staff, tbl.name, e.acme.org)
			if diff := cmp.Diff(acmeBefore, acmeAfter); diff != "" {
				t.Errorf("Acme's rows changed (-before +after):\n%s", diff)
			}
		})
	}
}

// TestAppUserVisibility checks app_user's own policies: members of the organization
// set and JusB staff, or during a sign-in the one row with that e-mail address.
func TestAppUserVisibility(t *testing.T) {
	t.Parallel()
	e := newTenantEnv(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		org   db.OrgID
		email string
		want  []string
	}{
		{name: "nothing set"},
		{name: "Acme", org: e.f.Acme.ID,
			want: []string{"admin@jusb.example", "alice@acme.example", "bob@acme.example"}},
		{name: "Globex", org: e.f.Globex.ID,
			want: []string{"admin@jusb.example", "carol@globex.example", "dave@globex.example"}},
		{name: "JusB", org: e.f.JusB.ID, want: []string{"admin@jusb.example"}},
		{name: "sign-in of a client", email: "dave@globex.example",
			want: []string{"dave@globex.example"}},
		{name: "sign-in of staff", email: "admin@jusb.example",
			want: []string{"admin@jusb.example"}},
		{name: "sign-in of an unknown address", email: "mallory@example.com"},
		{name: "sign-in spelled in capitals", email: "DAVE@globex.example"},
	}
	app := connect(t, e.urls.App)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := app.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback(ctx) }()
			if !tt.org.IsZero() {
				_, err = tx.Exec(ctx, "SELECT set_config('app.org_id', $1, true)",
					tt.org.String())
			}
			if err == nil && tt.email != "" {
				_, err = tx.Exec(ctx, "SELECT set_config('app.signin_email', $1, true)",
					tt.email)
			}
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := tx.Query(ctx, "SELECT email FROM app_user ORDER BY email")
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpEmpty); diff != "" {
				t.Errorf("visible users (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAppUserWrites checks that what portal_app may read of app_user beyond its own
// organization (JusB staff, the user signing in) it may not change.
func TestAppUserWrites(t *testing.T) {
	t.Parallel()
	e := newTenantEnv(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		org      db.OrgID
		email    string
		sql      string
		args     []any
		wantRows int64  // rows changed when the statement succeeds
		wantCode string // SQLSTATE when it must fail
	}{
		{name: "Acme updates a Globex member", org: e.f.Acme.ID,
			sql: "UPDATE app_user SET name = 'x' WHERE id = $1", args: []any{e.f.Carol.ID}},
		{name: "Acme updates JusB staff", org: e.f.Acme.ID,
			sql: "UPDATE app_user SET name = 'x' WHERE id = $1", args: []any{e.f.Admin.ID}},
		{name: "Acme deletes JusB staff", org: e.f.Acme.ID,
			sql: "DELETE FROM app_user WHERE id = $1", args: []any{e.f.Admin.ID}},
		{name: "Acme moves its member to Globex", org: e.f.Acme.ID,
			sql:  "UPDATE app_user SET org_id = $1 WHERE id = $2",
			args: []any{e.f.Globex.ID, e.f.Bob.ID}, wantCode: codeRLS},
		{name: "Acme adds a user to Globex", org: e.f.Acme.ID,
			sql: `INSERT INTO app_user (org_id, email, name, password_hash, role)
				VALUES ($1, 'eve@globex.example', 'Eve', 'x', 'client')`,
			args: []any{e.f.Globex.ID}, wantCode: codeRLS},
		{name: "a sign-in updates the user signing in", email: "bob@acme.example",
			sql: "UPDATE app_user SET name = 'x' WHERE id = $1", args: []any{e.f.Bob.ID}},
		{name: "a sign-in deletes the user signing in", email: "bob@acme.example",
			sql: "DELETE FROM app_user WHERE id = $1", args: []any{e.f.Bob.ID}},
		{name: "nothing set adds a user", sql: `INSERT INTO app_user (org_id, email, name,
				password_hash, role) VALUES ($1, 'eve@acme.example', 'Eve', 'x', 'client')`,
			args: []any{e.f.Acme.ID}, wantCode: codeRLS},
		{name: "Acme updates its own member", org: e.f.Acme.ID,
			sql: "UPDATE app_user SET name = 'Bobby' WHERE id = $1", args: []any{e.f.Bob.ID},
			wantRows: 1},
	}
	app := connect(t, e.urls.App)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := app.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback(ctx) }()
			_, err = tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true),
				set_config('app.signin_email', $2, true)`, orgText(tt.org), tt.email)
			if err != nil {
				t.Fatal(err)
			}
			tag, err := tx.Exec(ctx, tt.sql, tt.args...)
			if tt.wantCode != "" {
				checkRefused(t, err, tt.wantCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tag.RowsAffected() != tt.wantRows {
				t.Errorf("%d rows changed, want %d", tag.RowsAffected(), tt.wantRows)
			}
		})
	}
}

func orgText(org db.OrgID) string {
	if org.IsZero() {
		return ""
	}
	return org.String()
}

// TestCatalog is T7: what the database itself promises about roles, tables, policies
// and views, checked from the catalog so that a new migration cannot quietly break it.
// Each query lists the offenders; none is wanted.
func TestCatalog(t *testing.T) {
	t.Parallel()
	urls := dbtest.New(t)
	owner := dbtest.Owner(t, urls)
	ctx := context.Background()

	var roles, withOrgID int
	err := owner.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM pg_roles WHERE rolname IN ('portal_app', 'portal_staff')),
		(SELECT count(DISTINCT attrelid) FROM pg_attribute a
		 JOIN pg_class c ON c.oid = a.attrelid
		 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
		   AND a.attname = 'org_id' AND NOT a.attisdropped)`).Scan(&roles, &withOrgID)
	if err != nil {
		t.Fatal(err)
	}
	// Guards against checks that pass because they look at nothing.
	if roles != 2 || withOrgID < 11 {
		t.Fatalf("found %d portal roles and %d tables with org_id; want 2 and at least 11",
			roles, withOrgID)
	}

	checks := []struct {
		name  string
		query string
	}{
		{name: "portal roles are neither superuser nor BYPASSRLS", query: `
			SELECT rolname FROM pg_roles
			WHERE rolname IN ('portal_app', 'portal_staff') AND (rolsuper OR rolbypassrls)`},
		{name: "portal roles own nothing", query: `
			SELECT c.relname::text FROM pg_class c
			WHERE pg_get_userbyid(c.relowner) IN ('portal_app', 'portal_staff')
			UNION ALL
			SELECT p.proname::text FROM pg_proc p
			WHERE pg_get_userbyid(p.proowner) IN ('portal_app', 'portal_staff')
			UNION ALL
			SELECT n.nspname::text FROM pg_namespace n
			WHERE pg_get_userbyid(n.nspowner) IN ('portal_app', 'portal_staff')`},
		{name: "no portal role is a member of another or of the owner", query: `
			SELECT m.r || ' in ' || g.r
			FROM (VALUES ('portal_app'), ('portal_staff')) m (r),
			     (VALUES ('portal_app'), ('portal_staff'), (current_user::text)) g (r)
			WHERE m.r <> g.r AND pg_has_role(m.r, g.r, 'MEMBER')`},
		{name: "tables with org_id have forced row-level security and a policy", query: `
			SELECT c.relname::text FROM pg_class c
			WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
			  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
			              AND a.attname = 'org_id' AND NOT a.attisdropped)
			  AND NOT (c.relrowsecurity AND c.relforcerowsecurity
			           AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))`},
		{name: "tables with org_id have a policy for portal_app", query: `
			SELECT c.relname::text FROM pg_class c
			WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
			  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
			              AND a.attname = 'org_id' AND NOT a.attisdropped)
			  AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
			                  AND 'portal_app'::regrole = ANY (p.polroles))`},
		{name: "tables with org_id have an index leading on it", query: `
			SELECT c.relname::text FROM pg_class c
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id'
			WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
			  AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid
			                  AND i.indkey[0] = a.attnum)`},
		{name: "tables outside row-level security are the known ones", query: `
			SELECT c.relname::text FROM pg_class c
			WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
			  AND NOT c.relrowsecurity
			  AND c.relname NOT IN ('organization', 'sessions', 'schema_migrations')`},
		{name: "views run with the caller's rights", query: `
			SELECT c.relname::text FROM pg_class c
			WHERE c.relnamespace = 'public'::regnamespace
			  AND (c.relkind = 'm'
			       OR (c.relkind = 'v' AND NOT EXISTS (
			           SELECT 1 FROM unnest(c.reloptions) o
			           WHERE o ~* '^security_invoker=(true|on|yes|1)$')))`},
		{name: "no function runs with its owner's rights", query: `
			SELECT p.proname::text FROM pg_proc p
			WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef`},
		{name: "policy functions are STABLE", query: `
			SELECT p.proname::text FROM pg_proc p
			WHERE p.pronamespace = 'public'::regnamespace
			  AND p.proname IN ('app_org_id', 'app_signin_email', 'app_reset_token_hash')
			  AND p.provolatile <> 's'`},
		{name: "portal_app cannot write organizations", query: `
			SELECT privilege
			FROM unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) privilege
			WHERE has_table_privilege('portal_app', 'organization', privilege)`},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			rows, _ := owner.Query(ctx, c.query)
			offenders, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if len(offenders) > 0 {
				t.Errorf("offenders: %v", offenders)
			}
		})
	}
}

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
