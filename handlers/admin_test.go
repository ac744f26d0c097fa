package handlers

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/db/dbtest"
)

const staffEmail = "admin@jusb.example"

// addOrgContent gives the organization with the slug n threads, files (and one deleted
// file), tasks (one of them done) and activity entries, behind the portal's back.
func addOrgContent(t testing.TB, env *testEnv, org db.OrgID, actor string, n int) {
	t.Helper()
	ctx := context.Background()
	conn := env.staffConn()
	for _, sql := range []string{
		`INSERT INTO thread (org_id, title, created_by)
		 SELECT $1, 'Thread ' || i, $2 FROM generate_series(1, $3) i`,
		`INSERT INTO file (org_id, uploader_id, filename, storage_key, mime, size, sha256)
		 SELECT $1, $2, 'f' || i || '.pdf', gen_random_uuid()::text, 'application/pdf',
		        1, sha256(i::text::bytea)
		 FROM generate_series(0, $3) i`,
		`UPDATE file SET deleted_at = now()
		 WHERE id = (SELECT id FROM file WHERE org_id = $1 AND deleted_at IS NULL
		             AND $2::uuid IS NOT NULL AND $3::int > 0 LIMIT 1)`,
		`INSERT INTO task (org_id, title, created_by, status)
		 SELECT $1, 'Task ' || i, $2, CASE WHEN i = 0 THEN 'done' ELSE 'open' END
		 FROM generate_series(0, $3) i`,
		`INSERT INTO activity (org_id, actor_id, action, target_type, summary)
		 SELECT $1, $2, 'task.created', 'task', 'Task ' || i FROM generate_series(1, $3) i`,
	} {
		if _, err := conn.Exec(ctx, sql, org, actor, n); err != nil {
			t.Fatalf("add content: %v\n%s", err, sql)
		}
	}
}

// orgTable reads the staff table: for each slug, its counts as shown.
func orgTable(t testing.TB, body string) map[string][5]string {
	t.Helper()
	out := map[string][5]string{}
	parseHTML(t, body).Find("[data-testid=org-row]").Each(func(_ int, s *goquery.Selection) {
		slug, _ := s.Attr("data-slug")
		out[slug] = [5]string{s.Find("[data-testid=org-members]").Text(),
			s.Find("[data-testid=org-threads]").Text(),
			s.Find("[data-testid=org-files]").Text(),
			s.Find("[data-testid=org-storage]").Text(),
			s.Find("[data-testid=org-open-tasks]").Text()}
	})
	return out
}

// TestAdminOrganizations checks the staff table's counts and its live filter by name
// or slug, kept in the URL.
func TestAdminOrganizations(t *testing.T) {
	env := newTestEnv(t, Config{})
	addOrgContent(t, env, env.fix.Acme.ID, env.fix.Alice.ID.String(), 3)
	staff := env.signedIn(staffEmail)

	got := staff.get("/admin")
	if got.StatusCode != http.StatusOK {
		t.Fatalf("status %d", got.StatusCode)
	}
	want := map[string][5]string{
		// members, threads, files (one of 4 deleted), their bytes, open tasks (one of 4
		// done)
		"jusb": {"1", "0", "0", "0 B", "0"}, "acme": {"2", "3", "3", "3 B", "3"},
		"globex": {"2", "0", "0", "0 B", "0"},
	}
	if diff := cmp.Diff(want, orgTable(t, got.body)); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}

	tests := []struct {
		name, q string
		want    []string
	}{
		{"by name, any case", "GLOB", []string{"globex"}},
		{"by slug", "acm", []string{"acme"}},
		{"part of a name", "solution", []string{"jusb"}},
		{"none", "zzz", nil},
		{"a LIKE wildcard is a character", "%", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := staff.get("/admin?q="+url.QueryEscape(tt.q), htmx...)
			if got.StatusCode != http.StatusOK {
				t.Fatalf("status %d", got.StatusCode)
			}
			var slugs []string
			for slug := range orgTable(t, got.body) {
				slugs = append(slugs, slug)
			}
			if diff := cmp.Diff(tt.want, slugs); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if push := got.Header.Get("HX-Push-Url"); push != "/admin?q="+
				url.QueryEscape(tt.q) {
				t.Errorf("HX-Push-Url = %q", push)
			}
			if strings.Contains(got.body, "<html") {
				t.Error("a keystroke got the whole page")
			}
		})
	}

	t.Run("control characters are refused", func(t *testing.T) {
		got := staff.get("/admin?q=a%00b", htmx...)
		if got.StatusCode != http.StatusUnprocessableEntity ||
			got.Header.Get("HX-Push-Url") != "false" {
			t.Errorf("status %d, push %q", got.StatusCode, got.Header.Get("HX-Push-Url"))
		}
	})
}

// addOrganizations adds n organizations, each with a member and some content, so that
// the staff table has more rows to count.
func addOrganizations(t testing.TB, env *testEnv, n int) {
	t.Helper()
	for range n {
		slug := "org-" + strings.ToLower(rand.Text()[:10])
		var org db.Organization
		var user db.CreateUserRow
		err := env.store.Staff(context.Background(), func(q *db.Queries) error {
			var err error
			org, err = q.CreateOrganizationGlobal(context.Background(),
				db.CreateOrganizationGlobalParams{Name: "Org " + slug, Slug: slug})
			if err != nil {
				return err
			}
			user, err = q.CreateUser(context.Background(), db.CreateUserParams{
				OrgID: org.ID, Email: slug + "@example.com", Name: "M " + slug,
				PasswordHash: "x", Role: RoleClient})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		addOrgContent(t, env, org.ID, user.ID.String(), 2)
	}
}

// TestAdminBudget: the staff table costs the same round trips with 1 and 50 more
// organizations (one statement for the counts, no query per row), and so does the
// global activity log with 1 and 50 more entries.
func TestAdminBudget(t *testing.T) {
	env := newTestEnv(t, Config{})
	checkBudget(t, env, staffEmail, "/admin", 2, addOrganizations)
	checkBudget(t, env, staffEmail, "/admin/activity", 2, addActivity)
	checkBudget(t, env, staffEmail, "/admin/organizations/acme", 2, addActivity)
}

// orgCount counts organizations with the slug.
func orgCount(t testing.TB, env *testEnv, slug string) int {
	t.Helper()
	var n int
	err := env.staffConn().QueryRow(context.Background(),
		`SELECT count(*) FROM organization WHERE slug = $1`, slug).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// orgActions lists the actions of an organization's log, oldest first.
func orgActions(t testing.TB, env *testEnv, slug string) []string {
	t.Helper()
	rows, err := env.staffConn().Query(context.Background(), `SELECT a.action
		FROM activity a JOIN organization o ON o.id = a.org_id
		WHERE o.slug = $1 AND a.action <> 'user.signed_in' ORDER BY a.id`, slug)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// TestCreateOrganization adds an organization with its first administrator's
// invitation, and refuses bad forms with the reason and nothing created.
func TestCreateOrganization(t *testing.T) {
	env := newTestEnv(t, Config{})
	staff := env.signedIn(staffEmail)

	got := staff.post("/admin/organizations", url.Values{"name": {"Initech"},
		"slug": {"Initech"}, "email": {"Peter@Initech.example"}})
	if got.StatusCode != http.StatusSeeOther ||
		got.Header.Get("Location") != "/admin/organizations/initech?created=1" {
		t.Fatalf("status %d, location %q", got.StatusCode, got.Header.Get("Location"))
	}
	var email, role string
	err := env.staffConn().QueryRow(context.Background(), `SELECT i.email, i.role
		FROM invitation i JOIN organization o ON o.id = i.org_id
		WHERE o.slug = 'initech' AND i.accepted_at IS NULL`).Scan(&email, &role)
	if err != nil {
		t.Fatalf("read the invitation: %v", err)
	}
	if email != "peter@initech.example" || role != RoleClientAdmin {
		t.Errorf("invitation to %q as %q", email, role)
	}
	if diff := cmp.Diff([]string{"organization.created", "invitation.sent"},
		orgActions(t, env, "initech")); diff != "" {
		t.Errorf("Initech's log (-want +got):\n%s", diff)
	}
	mail := env.mailbox.waitFor(t, "peter@initech.example")
	if !strings.Contains(mail.Text, "Initech") {
		t.Errorf("the invitation does not name the organization:\n%s", mail.Text)
	}
	linkIn(t, env, mail, "/invitations/accept?token=")
	if !strings.Contains(env.logs.String(), `"msg":"organization created"`) {
		t.Error("the creation is not in the structured log")
	}
	if page := staff.get("/admin/organizations/initech"); page.StatusCode != http.StatusOK {
		t.Errorf("its page: status %d", page.StatusCode)
	}

	tests := []struct {
		name              string
		form              url.Values
		field, slugToTest string
	}{
		{"slug taken", url.Values{"name": {"Acme 2"}, "slug": {"acme"},
			"email": {"new@acme2.example"}}, "slug", ""},
		{"bad slug", url.Values{"name": {"Bad"}, "slug": {"-bad-"},
			"email": {"x@bad.example"}}, "slug", "-bad-"},
		{"no name", url.Values{"name": {"  "}, "slug": {"noname"},
			"email": {"x@noname.example"}}, "name", "noname"},
		{"bad address", url.Values{"name": {"Bad mail"}, "slug": {"badmail"},
			"email": {"Peter <p@x.example>"}}, "email", "badmail"},
		{"address has an account", url.Values{"name": {"Taken"}, "slug": {"taken"},
			"email": {"bob@acme.example"}}, "email", "taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := staff.post("/admin/organizations", tt.form)
			if got.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", got.StatusCode)
			}
			msg := parseHTML(t, got.body).Find("[data-testid=org-" + tt.field + "-error]")
			if strings.TrimSpace(msg.Text()) == "" {
				t.Errorf("no message beside %s", tt.field)
			}
			if tt.slugToTest != "" && orgCount(t, env, tt.slugToTest) != 0 {
				t.Error("an organization was created")
			}
		})
	}
}

// TestCreateOrganizationIsOneTransaction makes the invitation fail inside the
// database: the organization and its activity entry are rolled back with it.
func TestCreateOrganizationIsOneTransaction(t *testing.T) {
	env := newTestEnv(t, Config{})
	owner := dbtest.Owner(t, env.urls)
	_, err := owner.Exec(context.Background(), `
		CREATE FUNCTION refuse_invitation() RETURNS trigger LANGUAGE plpgsql AS
		$$ BEGIN RAISE EXCEPTION 'invitations are refused in this test'; END $$;
		CREATE TRIGGER refuse_invitation BEFORE INSERT ON invitation
		FOR EACH ROW EXECUTE FUNCTION refuse_invitation();`)
	if err != nil {
		t.Fatal(err)
	}
	staff := env.signedIn(staffEmail)

	got := staff.post("/admin/organizations", url.Values{"name": {"Initech"},
		"slug": {"initech"}, "email": {"peter@initech.example"}})
	if got.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", got.StatusCode)
	}
	if n := orgCount(t, env, "initech"); n != 0 {
		t.Errorf("%d organizations left behind", n)
	}
	var entries int
	err = env.staffConn().QueryRow(context.Background(), `SELECT count(*) FROM activity
		WHERE action = 'organization.created'`).Scan(&entries)
	if err != nil || entries != 0 {
		t.Errorf("%d creation entries left behind (%v)", entries, err)
	}
}

// TestRenameOrganization renames, records it, and refuses an empty name.
func TestRenameOrganization(t *testing.T) {
	env := newTestEnv(t, Config{})
	staff := env.signedIn(staffEmail)

	got := staff.post("/admin/organizations/acme/rename", url.Values{"name": {"Acme Corp"}})
	if got.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", got.StatusCode)
	}
	page := staff.get("/admin/organizations/acme")
	title := strings.Join(strings.Fields(parseHTML(t, page.body).Find(
		"[data-testid=org-title]").Text()), " ")
	if title != "Acme Corp" {
		t.Errorf("title %q", title)
	}
	if diff := cmp.Diff([]string{"organization.renamed"},
		orgActions(t, env, "acme")); diff != "" {
		t.Errorf("Acme's log (-want +got):\n%s", diff)
	}

	if got := staff.post("/admin/organizations/acme/rename",
		url.Values{"name": {""}}); got.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("empty name: status %d", got.StatusCode)
	}
	if got := staff.post("/admin/organizations/nope/rename",
		url.Values{"name": {"X"}}); got.StatusCode != http.StatusNotFound {
		t.Errorf("unknown slug: status %d", got.StatusCode)
	}
}

// TestArchiveOrganization archives Acme while Bob is signed in: his next request ends
// his session, he cannot sign in, staff can still read the workspace but not change
// it; after restoring, Bob signs in again. Nothing is deleted.
func TestArchiveOrganization(t *testing.T) {
	env := newTestEnv(t, Config{})
	addOrgContent(t, env, env.fix.Acme.ID, env.fix.Alice.ID.String(), 2)
	bob := env.signedIn("bob@acme.example")
	staff := env.signedIn(staffEmail)

	if got := staff.post("/admin/organizations/acme/archive", nil); got.StatusCode !=
		http.StatusSeeOther {
		t.Fatalf("archive: status %d", got.StatusCode)
	}

	if got := bob.get("/o/acme"); got.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(got.Header.Get("Location"), "/signin") {
		t.Errorf("Bob's next request: status %d to %q, want the sign-in page",
			got.StatusCode, got.Header.Get("Location"))
	}
	if got := env.client().signIn("bob@acme.example", testPassword); got.StatusCode !=
		http.StatusUnauthorized {
		t.Errorf("Bob signs in: status %d, want 401", got.StatusCode)
	}

	ws := staff.get("/o/acme/tasks")
	if ws.StatusCode != http.StatusOK ||
		!strings.Contains(ws.body, `data-testid="staff-banner-archived"`) {
		t.Errorf("staff open the archived workspace: status %d, archived banner shown: %v",
			ws.StatusCode, strings.Contains(ws.body, "staff-banner-archived"))
	}
	if got := staff.post("/o/acme/tasks", url.Values{"title": {"New"}}); got.StatusCode !=
		http.StatusForbidden {
		t.Errorf("staff change the archived workspace: status %d, want 403", got.StatusCode)
	}
	table := staff.get("/admin?q=acme")
	if parseHTML(t, table.body).Find("[data-testid=org-archived]").Length() != 1 {
		t.Error("the table does not show Acme as archived")
	}
	if got := staff.post("/admin/organizations/jusb/archive", nil); got.StatusCode !=
		http.StatusUnprocessableEntity {
		t.Errorf("archive the staff organization: status %d, want 422", got.StatusCode)
	}

	if got := staff.post("/admin/organizations/acme/restore", nil); got.StatusCode !=
		http.StatusSeeOther {
		t.Fatalf("restore: status %d", got.StatusCode)
	}
	if got := env.client().signIn("bob@acme.example", testPassword); got.StatusCode !=
		http.StatusSeeOther {
		t.Errorf("Bob signs in after the restore: status %d", got.StatusCode)
	}

	// Only activity entries and session versions changed: nothing was deleted.
	var live, files int
	err := env.staffConn().QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM thread WHERE org_id = $1),
		(SELECT count(*) FROM file WHERE org_id = $1)`, env.fix.Acme.ID).Scan(&live, &files)
	if err != nil || live != 2 || files != 3 {
		t.Errorf("threads %d, files %d after archive and restore (%v)", live, files, err)
	}
	got := orgActions(t, env, "acme")
	// Bob's refused sign-in while archived is a security event of Acme's too.
	want := []string{"task.created", "task.created", "organization.archived",
		"user.sign_in_failed", "staff.visited", "organization.restored"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Acme's log (-want +got):\n%s", diff)
	}
}

// TestStaffRoutesRefuseOthers tries every staff route, GET and POST, as members and
// client_admins: each gets 404, and no organization or tenant row changes.
func TestStaffRoutesRefuseOthers(t *testing.T) {
	env := newTestEnv(t, Config{})
	ids := fixtureIDs(t, env)
	clients := map[actor]*testClient{}
	for _, a := range []actor{acmeClient, acmeAdmin, globexAdmin} {
		clients[a] = env.signedIn(a.email)
	}
	orgsBefore := orgDigest(t, env)
	before := tenantSnapshot(t, env, "acme")

	for a, c := range clients {
		for _, rt := range env.srv.Routes() {
			if rt.Access != Staff {
				continue
			}
			t.Run(fmt.Sprintf("%s %s as %s", rt.Method, rt.Pattern, a.name), func(t *testing.T) {
				path := fillRoute(t, rt.Pattern, ids)
				form := url.Values{"name": {"Taken over"}, "slug": {"evil"},
					"email": {"evil@evil.example"}}
				var got response
				if rt.Method == http.MethodGet {
					got = c.get(path)
				} else {
					got = c.post(path, form)
				}
				if got.StatusCode != http.StatusNotFound {
					t.Errorf("status %d, want 404", got.StatusCode)
				}
			})
		}
	}
	if after := orgDigest(t, env); after != orgsBefore {
		t.Errorf("organizations changed:\n%s\n%s", orgsBefore, after)
	}
	if after := tenantSnapshot(t, env, "acme"); after != before {
		t.Errorf("Acme's data changed:\nbefore %s\nafter  %s", before, after)
	}
}

func orgDigest(t testing.TB, env *testEnv) string {
	t.Helper()
	var d string
	err := env.staffConn().QueryRow(context.Background(), `SELECT
		string_agg(o::text, ',' ORDER BY o.id) FROM organization o`).Scan(&d)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
