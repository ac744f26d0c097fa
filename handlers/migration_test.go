package handlers

import (
	"net/http"
	"sync"
	"testing"

	"github.com/jusb/portal/db/dbtest"
)

// TestMigrationWhileServing migrates the schema under a serving portal (F8). A column
// added changes nothing. A column whose type changes makes stale every statement that a
// pooled connection prepared before and that returns it; the pages, each read in one
// batch, prepare theirs again and still answer 200, on every connection of the pool.
func TestMigrationWhileServing(t *testing.T) {
	env := newTestEnv(t, Config{})
	addThread(t, env, env.fix.Acme.ID.String(), env.fix.Alice.ID, "Before the migration", 3)
	c := env.signedIn("alice@acme.example")
	pages := []string{"/o/acme", "/o/acme/threads", "/o/acme/tasks", "/o/acme/files",
		"/o/acme/activity"}
	// Several requests at once, so that every connection of the pool (4 in tests)
	// prepares the statements.
	browse := func(t *testing.T) {
		t.Helper()
		var wg sync.WaitGroup
		statuses := make(chan string, 4*len(pages))
		for range 4 {
			wg.Go(func() {
				for _, p := range pages {
					if got := c.get(p); got.StatusCode != http.StatusOK {
						statuses <- p + ": " + http.StatusText(got.StatusCode)
					}
				}
			})
		}
		wg.Wait()
		close(statuses)
		for s := range statuses {
			t.Error(s)
		}
	}
	browse(t)

	owner := dbtest.Owner(t, env.urls)
	for _, ddl := range []string{
		`ALTER TABLE thread ADD COLUMN pinned_at timestamptz`,
		`ALTER TABLE thread ALTER COLUMN title TYPE varchar(300)`,
		`ALTER TABLE task ALTER COLUMN title TYPE varchar(300)`,
		`ALTER TABLE file ALTER COLUMN size TYPE numeric`,
	} {
		t.Run(ddl, func(t *testing.T) {
			if _, err := owner.Exec(t.Context(), ddl); err != nil {
				t.Fatal(err)
			}
			browse(t)
		})
	}
}
