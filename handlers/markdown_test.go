package handlers

import (
	"strings"
	"testing"
)

// TestMessageExcerpt checks the thread list's one-line excerpt of a message: the text
// without the Markdown, raw HTML's tags left out, cut at excerptChars.
func TestMessageExcerpt(t *testing.T) {
	md := newMarkdown()
	tests := []struct{ name, body, want string }{
		{"emphasis", "**Budget** for _2027_", "Budget for 2027"},
		{"struck-out text is left out", "Perfect, ~~waiting for finance~~ approved.",
			"Perfect, approved."},
		{"lines and blocks", "Checklist:\n- [x] Floor plan\n- [ ] Keys\n\n> quoted",
			"Checklist: Floor plan Keys quoted"},
		{"links keep their text", "See [the plan](https://example.com/p) or " +
			"https://example.com", "See the plan or https://example.com"},
		{"raw HTML's tags are left out, as in the message", "a <b>b</b> <script>x()</script>",
			"a b x()"},
		{"an HTML block is left out", "<div>\nhidden\n</div>\n\nshown", "shown"},
		{"code keeps its text", "Run `make test`\n\n```\ngo vet\n```", "Run make test go vet"},
		{"long", strings.Repeat("word ", 40), strings.TrimSpace(
			strings.Repeat("word ", 40)[:excerptChars-1]) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := md.excerpt(tt.body); got != tt.want {
				t.Errorf("excerpt(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}
