package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

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
