package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"

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
