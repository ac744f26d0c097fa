package handlers

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/db"
)

func BenchmarkZZWalk(b *testing.B) {
	ab := newActivityBench(b, 1_000_000)
	org := ab.env.fix.Acme.ID
	plan, _ := ab.env.store.ExplainActivityLog(context.Background(), org,
		db.ActivityQuery{Filter: db.ActivityFilter{Text: "budget"}, Rows: 50})
	_ = os.WriteFile("/tmp/act/plan-walk.txt", []byte(plan), 0o644)
	conn, err := pgx.Connect(context.Background(), ab.env.urls.App)
	if err != nil {
		b.Fatal(err)
	}
	variants := map[string]string{
		"v1 where": `SELECT a.id FROM activity a WHERE a.org_id = $1
			AND (a.summary || E'\n' || a.actor_name) ILIKE '%budget%'
			AND (a.summary || E'\n' || a.actor_name) ~* activity_search_pattern('budget')
			ORDER BY a.created_at DESC, a.id DESC LIMIT 51`,
		"v2 window": `SELECT s.id FROM (SELECT a.id, a.created_at,
			((a.summary || E'\n' || a.actor_name) ILIKE '%budget%'
			AND (a.summary || E'\n' || a.actor_name) ~* activity_search_pattern('budget')) AS matched,
			row_number() OVER (ORDER BY a.created_at DESC, a.id DESC) AS seen
			FROM activity a WHERE a.org_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT 10000) s
			WHERE s.matched OR s.seen = 10000 ORDER BY s.created_at DESC, s.id DESC LIMIT 51`,
		"v3 ilike only": `SELECT a.id FROM activity a WHERE a.org_id = $1
			AND (a.summary || E'\n' || a.actor_name) ILIKE '%budget%'
			ORDER BY a.created_at DESC, a.id DESC LIMIT 51`,
		"v4 summary ilike": `SELECT a.id FROM activity a WHERE a.org_id = $1
			AND a.summary ILIKE '%budget%'
			ORDER BY a.created_at DESC, a.id DESC LIMIT 51`,
	}
	for name, q := range variants {
		var best time.Duration = time.Hour
		for i := 0; i < 30; i++ {
			tx, _ := conn.Begin(context.Background())
			_, _ = tx.Exec(context.Background(), "SELECT set_config('app.org_id', $1, true)", org.String())
			start := time.Now()
			rows, err := tx.Query(context.Background(), q, org)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
			best = min(best, time.Since(start))
			_ = tx.Rollback(context.Background())
		}
		b.Logf("%s: best %v", name, best)
	}
}
