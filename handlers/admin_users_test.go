package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// userEmails returns the addresses listed in a page or fragment of the user list.
func userEmails(t testing.TB, body string) []string {
	t.Helper()
	var out []string
	parseHTML(t, body).Find("[data-testid=person-row]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-email", ""))
	})
	return out
}

// TestAdminUsers filters the staff's list of every user by the URL's query.
func TestAdminUsers(t *testing.T) {
	env := newTestEnv(t, Config{})
	staff := env.signedIn("admin@jusb.example")
	env.exec(t, `UPDATE app_user SET is_active = false WHERE email = 'dave@globex.example'`)

	tests := []struct {
		name, query string
		status      int
		want        string // the addresses listed, comma-separated
	}{
		{"everyone", "", 200, "admin@jusb.example,alice@acme.example,bob@acme.example," +
			"carol@globex.example,dave@globex.example"},
		{"by text", "q=ACME", 200, "alice@acme.example,bob@acme.example"},
		{"by name", "q=chen", 200, "carol@globex.example"},
		{"wildcards match as typed", "q=%25", 200, ""},
		{"by organization", "org=globex", 200, "carol@globex.example,dave@globex.example"},
		{"by role", "role=client_admin", 200, "alice@acme.example,carol@globex.example"},
		{"by status", "status=deactivated", 200, "dave@globex.example"},
		{"together", "org=acme&role=client&status=active", 200, "bob@acme.example"},
		{"after a cursor", "after=bob@acme.example", 200,
			"carol@globex.example,dave@globex.example"},
		{"unknown role", "role=owner", 422, ""},
		{"unknown status", "status=gone", 422, ""},
		{"malformed organization", "org=ACME!", 422, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := staff.get("/admin/users?" + tt.query)
			if got.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", got.StatusCode, tt.status)
			}
			if emails := strings.Join(userEmails(t, got.body), ","); emails != tt.want {
				t.Errorf("listed %q, want %q", emails, tt.want)
			}
		})
	}

	t.Run("HTMX gets the results and the URL to show", func(t *testing.T) {
		got := staff.get("/admin/users?q=acme&role=", htmx...)
		if got.StatusCode != http.StatusOK || strings.Contains(got.body, "<html") {
			t.Fatalf("status %d, want a fragment", got.StatusCode)
		}
		if push := got.Header.Get("HX-Push-Url"); push != "/admin/users?q=acme" {
			t.Errorf("HX-Push-Url = %q", push)
		}
	})
}

// TestAdminUsersPages: a page holds 50 users; the next page starts after the last one
// shown, and the first page is a click away.
func TestAdminUsersPages(t *testing.T) {
	env := newTestEnv(t, Config{})
	addMembers(t, env, 60)
	staff := env.signedIn("admin@jusb.example")

	first := staff.get("/admin/users?org=acme")
	emails := userEmails(t, first.body)
	if len(emails) != adminUsersPageRows {
		t.Fatalf("%d users on the first page, want %d", len(emails), adminUsersPageRows)
	}
	next, ok := parseHTML(t, first.body).Find("[data-testid=users-next]").Attr("href")
	if !ok {
		t.Fatal("no link to the next page")
	}
	u, _ := url.Parse(next)
	if u.Query().Get("org") != "acme" || u.Query().Get("after") != emails[len(emails)-1] {
		t.Errorf("next page link %q", next)
	}
	second := userEmails(t, staff.get(next).body)
	if len(second) != 62-adminUsersPageRows || second[0] <= emails[len(emails)-1] {
		t.Errorf("second page: %d users starting at %v", len(second), second)
	}
}

// TestAdminUserActions: staff change a user of any organization from the list, by
// the same rules as the people page; the change lands in that organization's log.
func TestAdminUserActions(t *testing.T) {
	env := newTestEnv(t, Config{})
	staff := env.signedIn("admin@jusb.example")
	dave := env.fix.Dave.ID.String()

	got := staff.post("/admin/users/"+dave+"/deactivate", nil, htmx...)
	if got.StatusCode != http.StatusOK || !strings.Contains(got.body, "Globex") ||
		!strings.Contains(got.body, "Deactivated") {
		t.Fatalf("deactivate: status %d, body %s", got.StatusCode, got.body)
	}
	if activityCount(t, env, "globex", "user.deactivated") != 1 {
		t.Error("no user.deactivated in Globex's log")
	}
	if !strings.Contains(env.logs.String(), `"org_id":"`+env.fix.Globex.ID.String()) {
		t.Error("the staff change is not logged with the organization")
	}

	got = staff.post("/admin/users/"+env.fix.Carol.ID.String()+"/deactivate", nil, htmx...)
	if got.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(got.body, "last active administrator") {
		t.Errorf("last admin: status %d, body %s", got.StatusCode, got.body)
	}
	got = staff.post("/admin/users/"+env.fix.Admin.ID.String()+"/deactivate", nil)
	if got.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("staff deactivating themselves: status %d, want 422", got.StatusCode)
	}
	env.exec(t, `UPDATE organization SET archived_at = now() WHERE slug = 'acme'`)
	got = staff.post("/admin/users/"+env.fix.Bob.ID.String()+"/deactivate", nil, htmx...)
	if got.StatusCode != http.StatusForbidden || memberState(t, env, env.fix.Bob.ID) !=
		"client active=true" {
		t.Errorf("archived organization: status %d, want 403 and no change", got.StatusCode)
	}
	if got := staff.post("/admin/users/not-an-id/deactivate", nil); got.StatusCode != 404 {
		t.Errorf("malformed ID: status %d, want 404", got.StatusCode)
	}
}
