package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func init() {
	isolationFixtures = append(isolationFixtures, peopleFixture)
}

// peopleFixture names Acme's client and a pending invitation of Acme, for the access
// matrix and the isolation harness.
func peopleFixture(t testing.TB, env *testEnv) map[string]string {
	id := addInvitation(t, env, "fixture-"+uuid.NewString()[:8]+"@example.com", "client")
	return map[string]string{"userID": env.fix.Bob.ID.String(), "invitationID": id.String()}
}

// queryInt runs a query that returns one number, as portal_staff.
func queryInt(t testing.TB, env *testEnv, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := env.staffConn().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
	return n
}

// activityCount counts an organization's activity entries with the action.
func activityCount(t testing.TB, env *testEnv, slug, action string) int {
	t.Helper()
	return queryInt(t, env, `SELECT count(*) FROM activity a JOIN organization o
		ON o.id = a.org_id WHERE o.slug = $1 AND a.action = $2`, slug, action)
}

// TestPeoplePage: everyone sees the members with role, status and last sign-in; only
// client_admins and staff see the invitations and the actions.
func TestPeoplePage(t *testing.T) {
	env := newTestEnv(t, Config{})
	addInvitation(t, env, "pending@acme.example", "client")

	tests := []struct {
		email  string
		manage bool
	}{
		{"bob@acme.example", false},
		{"alice@acme.example", true},
		{"admin@jusb.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			got := env.signedIn(tt.email).get("/o/acme/people")
			if got.StatusCode != http.StatusOK {
				t.Fatalf("status %d", got.StatusCode)
			}
			doc := parseHTML(t, got.body)
			if n := doc.Find("[data-testid=person-row]").Length(); n != 2 {
				t.Errorf("%d members, want Alice and Bob", n)
			}
			if !strings.Contains(doc.Find(`[data-email="alice@acme.example"]`).Text(),
				"Client admin") {
				t.Error("Alice's role is not shown")
			}
			for _, sel := range []string{"[data-testid=invite-form]",
				"[data-testid=invitations]", "[data-testid=role-select]",
				"[data-testid=deactivate]"} {
				if got := doc.Find(sel).Length() > 0; got != tt.manage {
					t.Errorf("%s shown: %v, want %v", sel, got, tt.manage)
				}
			}
			if doc.Find(`nav a[href="/o/acme/people"]`).Length() != 1 {
				t.Error("no People link in the navigation")
			}
		})
	}
}

// TestPeopleQueryBudget: the people page and the staff's user list read in a fixed
// number of round trips, however many people there are.
func TestPeopleQueryBudget(t *testing.T) {
	env := newTestEnv(t, Config{})
	checkBudget(t, env, "alice@acme.example", "/o/acme/people", 2, addMembers)
	checkBudget(t, env, "admin@jusb.example", "/admin/users", 2, addMembers)
}

// addMembers adds n clients to Acme behind the portal's back.
func addMembers(t testing.TB, env *testEnv, n int) {
	t.Helper()
	env.exec(t, `INSERT INTO app_user (org_id, email, name, password_hash, role)
		SELECT $1, 'member-' || gen_random_uuid() || '@acme.example', 'Member', 'x', 'client'
		FROM generate_series(1, $2)`, env.fix.Acme.ID, n)
}
