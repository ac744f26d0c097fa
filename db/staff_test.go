package db_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

// TestStaffPlans seeds 200 organizations and 30,000 activity entries and checks the
// plans of the staff view's queries: the global log's pages read an index in page
// order (never the whole table), with or without an organization and for each filter;
// the table of organizations counts for the organizations of its page only.
func TestStaffPlans(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 30,000 entries")
	}
	urls := dbtest.New(t)
	ctx := context.Background()
	store, err := db.Open(ctx, db.PoolOptions{AppURL: urls.App, StaffURL: urls.Staff})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	f := dbtest.Seed(t, store, "x")

	staff, err := pgx.Connect(ctx, urls.Staff)
	if err != nil {
		t.Fatal(err)
	}
	defer staff.Close(ctx)
	for _, sql := range []string{
		`INSERT INTO organization (name, slug)
		 SELECT 'Org ' || i, 'org-' || i FROM generate_series(1, 200) i`,
		`INSERT INTO app_user (org_id, email, name, password_hash, role)
		 SELECT o.id, o.slug || '@example.com', 'Member ' || o.slug, 'x', 'client'
		 FROM organization o WHERE o.slug LIKE 'org-%'`,
		`INSERT INTO activity (org_id, actor_id, action, target_type, summary, created_at)
		 SELECT u.org_id, u.id,
		        (ARRAY['task.created', 'file.uploaded', 'message.posted'])[1 + i % 3],
		        (ARRAY['task', 'file', 'message'])[1 + i % 3],
		        'Entry ' || i || CASE WHEN i % 500 = 0 THEN ' kestrel' ELSE '' END,
		        now() - i * interval '1 minute'
		 FROM generate_series(1, 30000) i
		 JOIN app_user u ON u.email = 'org-' || (1 + i % 200) || '@example.com'`,
		`INSERT INTO activity (org_id, actor_id, action, target_type, summary)
		 VALUES ('` + f.Acme.ID.String() + `', '` + f.Admin.ID.String() +
			`', 'organization.archived', 'organization', 'Acme')`,
	} {
		if _, err := staff.Exec(ctx, sql); err != nil {
			t.Fatalf("seed: %v\n%s", err, sql)
		}
	}

	if _, err := dbtest.Owner(t, urls).Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}

	acme := f.Acme.ID
	admin := uuid.UUID(f.Admin.ID)
	page := func(fl db.ActivityFilter) db.ActivityQuery {
		return db.ActivityQuery{Filter: fl, Rows: 50}
	}
	tests := []struct {
		name  string
		q     db.GlobalActivityQuery
		index string
	}{
		{"newest page", db.GlobalActivityQuery{ActivityQuery: page(db.ActivityFilter{})},
			"activity_recent_idx"},
		{"rare action", db.GlobalActivityQuery{ActivityQuery: page(db.ActivityFilter{
			Action: "organization.archived"})}, "activity_action_idx"},
		{"target type", db.GlobalActivityQuery{ActivityQuery: page(db.ActivityFilter{
			TargetType: "file"})}, "activity_"},
		{"staff actor", db.GlobalActivityQuery{ActivityQuery: page(db.ActivityFilter{
			ActorID: &admin})}, "activity_actor_idx"},
		{"rare word", db.GlobalActivityQuery{ActivityQuery: page(db.ActivityFilter{
			Text: "kestrel"})}, "activity_term_global_idx"},
		{"one organization", db.GlobalActivityQuery{Org: &acme,
			ActivityQuery: page(db.ActivityFilter{})}, "activity_org_recent_idx"},
	}
	scan := regexp.MustCompile(`Seq Scan on activity\b`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := store.ExplainGlobalActivity(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if scan.MatchString(plan) || !strings.Contains(plan, tt.index) {
				t.Errorf("plan reads the whole log or not %s:\n%s", tt.index, plan)
			}
			t.Logf("%s: %s", tt.name, executionTime(plan))
		})
	}

	t.Run("table of organizations", func(t *testing.T) {
		plan, err := store.ExplainOrganizationSummaries(ctx, "", 101)
		if err != nil {
			t.Fatal(err)
		}
		// 203 organizations, a page of 101: the counts are made for the page only.
		if regexp.MustCompile(`Seq Scan on activity\b|loops=203`).MatchString(plan) {
			t.Errorf("plan reads the whole log or counts every organization:\n%s", plan)
		}
		t.Logf("organizations: %s", executionTime(plan))
	})
}

func executionTime(plan string) string {
	if m := regexp.MustCompile(`Execution Time: [\d.]+ ms`).FindString(plan); m != "" {
		return m
	}
	return "?"
}
