package components

import "testing"

// TestAnnounceResults words each kind of result page as a screen reader will hear it.
func TestAnnounceResults(t *testing.T) {
	rows := func(n int) []ActivityRow { return make([]ActivityRow, n) }
	tests := []struct {
		name string
		v    ActivityView
		want string
	}{
		{"a filter with a mistake", ActivityView{Errors: map[string]string{"from": "x"}}, ""},
		{"nothing matches", ActivityView{Filtered: true}, "No entries match this filter."},
		{"an empty log", ActivityView{}, "No entries yet."},
		{"one entry", ActivityView{Entries: rows(1)}, "1 entry shown."},
		{"a full page", ActivityView{Entries: rows(50), OlderURL: "/o/acme/activity?before=1"},
			"50 entries shown. Older entries follow on the next page."},
		{"a search that stopped", ActivityView{Entries: rows(3), Filtered: true,
			Notice: "The search stopped."}, "3 entries shown. The search stopped."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := announceResults(tt.v); got != tt.want {
				t.Errorf("announceResults = %q, want %q", got, tt.want)
			}
		})
	}
}
