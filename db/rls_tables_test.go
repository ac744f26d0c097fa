package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jusb/portal/db"
)

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
