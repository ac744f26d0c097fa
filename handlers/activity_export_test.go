package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readActivityCSV parses an export.
func readActivityCSV(t testing.TB, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("parse the export: %v\n%s", err, body)
	}
	return rows
}

// TestActivityExport checks that the CSV holds exactly the entries the filter shows on
// all its pages, with a header, escaped, safe to open in a spreadsheet, and that only
// client_admins and staff may export.
func TestActivityExport(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	seedActivityLog(t, env)
	f := env.fix
	tricky := []string{`=HYPERLINK("http://evil.example")`, "+1", "-2+3", "@SUM(A1)",
		"\tTab", "\rReturn", "comma, \"quoted\"\nand a new line", "plain"}
	for i, s := range tricky {
		addActivityEntries(t, env, activityEntry{f.Acme.ID, &f.Bob.ID, "message.posted",
			"thread", s, activityDay.AddDate(0, 1, 0).Add(time.Duration(i) * time.Minute)})
	}
	// More entries than one page of the log holds, to see the export take them all.
	var many []activityEntry
	for i := range activityPageRows + 10 {
		many = append(many, activityEntry{f.Acme.ID, &f.Alice.ID, "task.updated", "task",
			fmt.Sprintf("update %02d", i), activityDay.AddDate(0, 2, 0).Add(time.Duration(i))})
	}
	addActivityEntries(t, env, many...)

	t.Run("headers", func(t *testing.T) {
		got := alice.get("/o/acme/activity.csv")
		if got.StatusCode != http.StatusOK {
			t.Fatalf("status %d", got.StatusCode)
		}
		if ct := got.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		want := `attachment; filename="activity-acme-` + time.Now().UTC().Format("2006-01-02") +
			`.csv"`
		if cd := got.Header.Get("Content-Disposition"); cd != want {
			t.Errorf("Content-Disposition = %q, want %q", cd, want)
		}
		rows := readActivityCSV(t, got.body)
		if diff := cmp.Diff(exportHeader, rows[0]); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
	})

	t.Run("exactly the filtered entries, all pages", func(t *testing.T) {
		for _, query := range []string{"", "action=task.updated", "q=budget",
			"actor=" + f.Bob.ID.String() + "&to=2026-12-31", "target=thread&q=quoted",
			"q=zzzzzz"} {
			shown := []string{}
			for path := "/o/acme/activity?" + query; path != ""; {
				resp := alice.get(path)
				shown = append(shown, activitySummaries(t, resp.body)...)
				path = activityHTML(t, resp.body).Find("[data-testid=activity-older]").
					AttrOr("href", "")
			}
			rows := readActivityCSV(t, alice.get("/o/acme/activity.csv?"+query).body)
			exported := []string{}
			for _, r := range rows[1:] {
				// HTML reads a carriage return as a line feed.
				exported = append(exported, strings.ReplaceAll(strings.TrimPrefix(r[7], "'"),
					"\r", "\n"))
			}
			if diff := cmp.Diff(shown, exported); diff != "" {
				t.Errorf("?%s: exported summaries (-shown +exported):\n%s", query, diff)
			}
		}
	})

	t.Run("cells are escaped and no formula", func(t *testing.T) {
		rows := readActivityCSV(t, alice.get("/o/acme/activity.csv?action=message.posted").body)
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[7])
			if r[2] != "Bob Brown" || r[3] != f.Bob.ID.String() || r[4] != "message.posted" {
				t.Errorf("row %q: wrong actor or action", r)
			}
			if _, err := time.Parse(time.RFC3339, r[1]); err != nil {
				t.Errorf("time %q: %v", r[1], err)
			}
		}
		want := []string{"plain", "comma, \"quoted\"\nand a new line", "'\rReturn", "'\tTab",
			"'@SUM(A1)", "'-2+3", "'+1", `'=HYPERLINK("http://evil.example")`}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("summaries (-want +got):\n%s", diff)
		}
	})

	t.Run("who may export", func(t *testing.T) {
		tests := []struct {
			name, email string
			status      int
			link        bool
		}{
			{"client_admin", "alice@acme.example", 200, true},
			{"client", "bob@acme.example", 403, false},
			{"staff", "admin@jusb.example", 200, true},
		}
		for _, tt := range tests {
			c := env.signedIn(tt.email)
			if got := c.get("/o/acme/activity.csv"); got.StatusCode != tt.status {
				t.Errorf("%s: export status %d, want %d", tt.name, got.StatusCode, tt.status)
			}
			page := activityHTML(t, c.get("/o/acme/activity?q=budget").body)
			link := page.Find("[data-testid=activity-export]")
			if (link.Length() == 1) != tt.link {
				t.Errorf("%s: export link shown = %v, want %v", tt.name, link.Length() == 1,
					tt.link)
			}
			if tt.link && link.AttrOr("href", "") != "/o/acme/activity.csv?q=budget" {
				t.Errorf("%s: export link %q does not carry the filter", tt.name,
					link.AttrOr("href", ""))
			}
		}
	})

	t.Run("a bad filter", func(t *testing.T) {
		for _, query := range []string{"from=nope", "actor=" + f.Carol.ID.String(),
			"q=%00"} {
			got := alice.get("/o/acme/activity.csv?" + query)
			if got.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("?%s: status %d, want 422", query, got.StatusCode)
			}
			if strings.Contains(got.body, "Globex") {
				t.Errorf("?%s: the answer shows Globex's entries", query)
			}
		}
	})
}
