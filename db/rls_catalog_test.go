package db_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/db/dbtest"
)

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
			  AND c.relname NOT IN ('organization', 'sessions', 'rate_count',
			                        'schema_migrations')`},
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
