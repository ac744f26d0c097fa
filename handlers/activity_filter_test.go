package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// TestActivityLogFilters applies each filter, alone and combined, through the URL as a
// shared link would, and checks which entries show, newest first.
func TestActivityLogFilters(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	seedActivityLog(t, env)
	f := env.fix

	tests := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"no filter", nil, []string{"Quarterly review", "unknown address", "Acme",
			"old_logo.png", "Budget 2027 draft", "invoice-100%.pdf", "Budget 2027 draft"}},
		{"actor", url.Values{"actor": {f.Bob.ID.String()}},
			[]string{"Budget 2027 draft", "invoice-100%.pdf"}},
		{"staff actor", url.Values{"actor": {f.Admin.ID.String()}}, []string{"Acme"}},
		{"action", url.Values{"action": {"task.created"}},
			[]string{"Quarterly review", "Budget 2027 draft"}},
		{"target type", url.Values{"target": {"file"}},
			[]string{"old_logo.png", "invoice-100%.pdf"}},
		{"from", url.Values{"from": {"2026-11-23"}},
			[]string{"Quarterly review", "unknown address", "Acme"}},
		{"to includes the whole day", url.Values{"to": {"2026-11-20"}},
			[]string{"invoice-100%.pdf", "Budget 2027 draft"}},
		{"one day", url.Values{"from": {"2026-11-21"}, "to": {"2026-11-21"}},
			[]string{"Budget 2027 draft"}},
		{"text in the summary, any case", url.Values{"q": {"BUDGET"}},
			[]string{"Budget 2027 draft", "Budget 2027 draft"}},
		{"text in the actor's name", url.Values{"q": {"brown"}},
			[]string{"Budget 2027 draft", "invoice-100%.pdf"}},
		{"text in a staff name", url.Values{"q": {"jess"}}, []string{"Acme"}},
		{"punctuation is not searched for", url.Values{"q": {"100%"}},
			[]string{"invoice-100%.pdf"}},
		{"a word after an underscore", url.Values{"q": {"logo"}}, []string{"old_logo.png"}},
		{"a word's start, not its middle", url.Values{"q": {"udget"}}, []string{}},
		{"words in any order", url.Values{"q": {"draft 20 bud"}},
			[]string{"Budget 2027 draft", "Budget 2027 draft"}},
		{"words from the summary and the name", url.Values{"q": {"review Alice"}},
			[]string{"Quarterly review"}},
		{"every word must match", url.Values{"q": {"review bob"}}, []string{}},
		{"combined", url.Values{"actor": {f.Alice.ID.String()}, "action": {"task.created"},
			"q": {"quarter"}}, []string{"Quarterly review"}},
		{"an action that never happened", url.Values{"action": {"thread.created"}},
			[]string{}},
		{"one character is not searched yet", url.Values{"q": {"z"}}, []string{"Quarterly review",
			"unknown address", "Acme", "old_logo.png", "Budget 2027 draft",
			"invoice-100%.pdf", "Budget 2027 draft"}},
		{"unknown parameters are ignored", url.Values{"org_id": {f.Globex.ID.String()},
			"target": {"file"}}, []string{"old_logo.png", "invoice-100%.pdf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := withQuery("/o/acme/activity", tt.query)
			for _, mode := range []struct {
				name   string
				header []string
			}{{"page", nil}, {"fragment", hxRequest}} {
				got := alice.get(path, mode.header...)
				if got.StatusCode != http.StatusOK {
					t.Fatalf("%s: status %d, body %s", mode.name, got.StatusCode, got.body)
				}
				if diff := cmp.Diff(tt.want, activitySummaries(t, got.body)); diff != "" {
					t.Errorf("%s: entries (-want +got):\n%s", mode.name, diff)
				}
			}
		})
	}
}

// TestActivityLogBadFilter sends filters that cannot be applied: each gets 422 with
// the problem beside its field (in the page, and swapped in for HTMX), no entries, and
// never a 500 or another organization's rows.
func TestActivityLogBadFilter(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice := env.signedIn("alice@acme.example")
	seedActivityLog(t, env)

	tests := []struct {
		name, field, query, problem string
	}{
		{"action not of the log's form", "action", "action=<script>", "Choose an action"},
		{"target type not of the log's form", "target", "target=Task%3BDROP",
			"Choose a type"},
		{"actor not an ID", "actor", "actor=bob", "Choose a person"},
		{"actor of another organization", "actor", "actor=" + env.fix.Carol.ID.String(),
			"Choose a person"},
		{"actor that exists nowhere", "actor", "actor=" + uuid.NewString(),
			"Choose a person"},
		{"malformed date", "from", "from=2026-13-01", "year-month-day"},
		{"date in another format", "to", "to=03/12/2026", "year-month-day"},
		{"range backwards", "to", "from=2026-11-25&to=2026-11-20", "before the start"},
		{"text with a NUL", "q", "q=" + url.QueryEscape("bud\x00get"), "cannot be searched"},
		{"text not UTF-8", "q", "q=%ff%fe%fd", "cannot be searched"},
		{"text too long", "q", "q=" + strings.Repeat("a", 201), "at most 200"},
		{"cursor that does not parse", "before", "before=yesterday", "not valid"},
		{"cursor without an id", "before", "before=1764547200000000_", "not valid"},
		{"cursor out of range", "before", "before=99999999999999999999_5", "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/o/acme/activity?" + tt.query
			for _, mode := range []struct {
				name   string
				header []string
			}{{"page", nil}, {"fragment", hxRequest}} {
				got := alice.get(path, mode.header...)
				if got.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("%s: status %d, want 422", mode.name, got.StatusCode)
				}
				doc := activityHTML(t, got.body)
				msg := doc.Find("#activity-error-" + tt.field).Text()
				if tt.field == "before" {
					msg = doc.Find("[data-testid=activity-invalid]").Text()
				}
				if !strings.Contains(msg, tt.problem) {
					t.Errorf("%s: message for %s = %q, want it to say %q", mode.name,
						tt.field, msg, tt.problem)
				}
				if n := doc.Find("[data-testid=activity-row]").Length(); n != 0 {
					t.Errorf("%s: %d entries shown for a filter that is wrong", mode.name, n)
				}
				if strings.Contains(got.body, "Globex") {
					t.Errorf("%s: Globex shows in Acme's log", mode.name)
				}
				if mode.header != nil && got.Header.Get("HX-Push-Url") != "false" {
					t.Errorf("fragment: HX-Push-Url = %q, want the address left alone",
						got.Header.Get("HX-Push-Url"))
				}
			}
		})
	}
}

// TestActivityLogIsolation tries to reach Acme's entries from Globex through every
// filter: a Globex member sees only Globex's entries, whatever they ask for.
func TestActivityLogIsolation(t *testing.T) {
	env := newTestEnv(t, Config{})
	carol := env.signedIn("carol@globex.example")
	seedActivityLog(t, env)
	f := env.fix

	tests := []struct {
		name, path string
		status     int
		want       []string
	}{
		{"own log", "/o/globex/activity", 200,
			[]string{"globex-plan.pdf", "Globex budget secret"}},
		{"an Acme member as actor", "/o/globex/activity?actor=" + f.Alice.ID.String(), 422,
			[]string{}},
		{"text of an Acme entry", "/o/globex/activity?q=quarterly", 200, []string{}},
		{"an Acme member's name", "/o/globex/activity?q=anders", 200, []string{}},
		{"an action only Acme has", "/o/globex/activity?action=file.deleted", 200,
			[]string{}},
		{"Acme's slug", "/o/acme/activity?q=budget", 404, []string{}},
		{"Acme's export", "/o/acme/activity.csv", 404, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := carol.get(tt.path)
			if got.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", got.StatusCode, tt.status)
			}
			if diff := cmp.Diff(tt.want, activitySummaries(t, got.body)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			for _, acme := range []string{"Quarterly", "old_logo", "Alice Anders",
				"Bob Brown", f.Alice.ID.String()} {
				if strings.Contains(got.body, acme) {
					t.Errorf("the answer shows Acme's %q", acme)
				}
			}
		})
	}

	// Globex's own export does not hold Acme's rows either.
	export := carol.get("/o/globex/activity.csv?q=budget")
	rows := readActivityCSV(t, export.body)
	if len(rows) != 2 || rows[1][7] != "Globex budget secret" {
		t.Errorf("Globex's export = %q, want its one budget entry", rows)
	}
}
