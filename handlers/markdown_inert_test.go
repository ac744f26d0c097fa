package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// xssPayloads are message bodies that try to run script, load content or trigger htmx.
var xssPayloads = []struct{ name, body string }{
	{"script tag", `<script>alert(1)</script>`},
	{"img onerror", `"><img src=x onerror=alert(1)>`},
	{"markdown image onerror", `![x](x" onerror="alert(1))`},
	{"javascript link", `[x](javascript:alert(1))`},
	{"mixed-case javascript link", `[x](JaVaScRiPt:alert(1))`},
	{"control character before javascript", "[x](\x01javascript:alert(1))"},
	{"entity-encoded javascript", `[x](&#106;avascript:alert(1))`},
	{"data URL link", `[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`},
	{"data URL autolink", `<data:text/html,<script>alert(1)</script>>`},
	{"htmx attribute", `<a hx-get="/admin" hx-trigger="load">x</a>`},
	{"data-hx attribute", `<div data-hx-get="/admin" data-hx-trigger="load">x</div>`},
	{"htmx partial", `<hx-partial hx-target="body">x</hx-partial>`},
	{"iframe", `<iframe src="https://evil.example"></iframe>`},
	{"svg onload", `<svg onload=alert(1)>`},
	{"style and id", `<p style="position:fixed" id="messages" class="fixed">x</p>`},
	{"form", `<form action="/signout" method="post"><button>x</button></form>`},
	{"reference link to javascript", "[x][a]\n\n[a]: javascript:alert(1)"},
}

// TestMessageMarkdownIsInert posts each payload and checks the message as the post's
// answer, the thread page and the live stream show it: nothing active survives.
func TestMessageMarkdownIsInert(t *testing.T) {
	env := newTestEnv(t, Config{})
	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Bob.ID, "XSS", 0)
	path := "/o/acme/threads/" + thread.String()
	alice := env.signedIn("alice@acme.example")
	events := openEvents(t, env.signedIn("bob@acme.example"), path+"/events")

	for _, p := range xssPayloads {
		t.Run(p.name, func(t *testing.T) {
			resp := alice.post(path+"/messages", url.Values{"body": {p.body}}, htmx...)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("post: status %d", resp.StatusCode)
			}
			checkInert(t, "answer", parseHTML(t, resp.body).Find(`hx-partial`))
			ev := events.next(t)
			checkInert(t, "event", parseHTML(t, ev.data).Selection)

			page := parseHTML(t, alice.get(path).body)
			checkInert(t, "page", page.Find(`[data-testid=message-body]`).Last())
		})
	}
}

// checkInert fails on any element or attribute in sel's message bodies that could
// run script, load something or make htmx act.
func checkInert(t *testing.T, where string, sel *goquery.Selection) {
	t.Helper()
	checkInertBodies(t, where, sel, "message-body")
}

// checkInertBodies is checkInert for the rendered Markdown marked data-testid=testID.
func checkInertBodies(t *testing.T, where string, sel *goquery.Selection, testID string) {
	t.Helper()
	marked := `[data-testid=` + testID + `]`
	bodies := sel.Find(marked).AddSelection(sel.Filter(marked))
	if bodies.Length() == 0 {
		t.Fatalf("%s: no message body", where)
	}
	bodies.Find("*").Each(func(_ int, s *goquery.Selection) {
		el := goquery.NodeName(s)
		switch el {
		case "script", "iframe", "img", "svg", "form", "button", "object", "embed", "style",
			"hx-partial", "div":
			t.Errorf("%s: element <%s> survived", where, el)
		}
		for _, a := range s.Nodes[0].Attr {
			name, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(name, "on"), strings.HasPrefix(name, "hx-"),
				strings.HasPrefix(name, "data-"), name == "style", name == "id",
				name == "class", name == "src", name == "action", name == "formaction":
				t.Errorf("%s: attribute %s=%q survived on <%s>", where, a.Key, a.Val, el)
			case name == "href" && !(strings.HasPrefix(val, "http:") ||
				strings.HasPrefix(val, "https:") || strings.HasPrefix(val, "mailto:") ||
				strings.HasPrefix(val, "/") || !strings.Contains(val, ":")):
				t.Errorf("%s: link %q survived", where, a.Val)
			}
		}
	})
}

// TestMarkdownRendering checks what message authors can rely on.
func TestMarkdownRendering(t *testing.T) {
	md := newMarkdown()
	tests := []struct{ name, src, want string }{
		{"emphasis", "**bold** and _it_", "<p><strong>bold</strong> and <em>it</em></p>\n"},
		{"link", "[site](https://example.com)", `<p><a href="https://example.com" ` +
			`rel="nofollow noreferrer noopener" target="_blank">site</a></p>` + "\n"},
		{"relative link", "[task](/o/acme/tasks)",
			`<p><a href="/o/acme/tasks" rel="nofollow noreferrer">task</a></p>` + "\n"},
		{"raw HTML is dropped", "a <b>b</b>", "<p>a b</p>\n"},
		{"image becomes a link", "![chart](https://example.com/c.png)",
			`<p><a href="https://example.com/c.png" rel="nofollow noreferrer noopener" ` +
				`target="_blank">chart</a></p>` + "\n"},
		{"list", "- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"},
		{"task list, with names for screen readers", "- [x] done\n- [ ] open",
			"<ul>\n<li><input type=\"checkbox\" checked=\"\" disabled=\"\" " +
				"aria-label=\"Done\"> done</li>\n<li><input type=\"checkbox\" disabled=\"\" " +
				"aria-label=\"Not done\"> open</li>\n</ul>\n"},
		{"code", "`x < y`", "<p><code>x &lt; y</code></p>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := md.render(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("render(%q) (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}
