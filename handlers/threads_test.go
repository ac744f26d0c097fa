package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func init() {
	isolationFixtures = append(isolationFixtures,
		func(t testing.TB, env *testEnv) map[string]string {
			id := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Alice.ID, "Acme plans", 1)
			return map[string]string{"thread_id": id.String()}
		})
}

// addThread creates a thread in org with n messages by author, behind the portal's
// back, and returns its ID. The messages are a second apart, the last one now.
func addThread(t testing.TB, env *testEnv, org string, author uuid.UUID, title string,
	n int) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := env.staffConn().QueryRow(context.Background(), `
		WITH th AS (INSERT INTO thread (org_id, title, created_by) VALUES ($1, $2, $3)
			RETURNING id)
		, m AS (INSERT INTO message (org_id, thread_id, author_id, body, created_at)
			SELECT $1, th.id, $3, 'Message ' || i, now() - make_interval(secs => $4 - i)
			FROM th, generate_series(1, $4) i)
		SELECT id FROM th`, org, title, author, n).Scan(&id)
	if err != nil {
		t.Fatalf("add thread: %v", err)
	}
	return id
}

// addMessages appends n messages by author to a thread, behind the portal's back, a
// millisecond apart, the last one now.
func addMessages(t testing.TB, env *testEnv, thread, author uuid.UUID, n int) {
	t.Helper()
	_, err := env.staffConn().Exec(context.Background(), `
		INSERT INTO message (org_id, thread_id, author_id, body, created_at)
		SELECT t.org_id, t.id, $2, 'More ' || i, now() - make_interval(secs => ($3 - i) / 1000.0)
		FROM thread t, generate_series(1, $3) i
		WHERE t.id = $1`, thread, author, n)
	if err != nil {
		t.Fatalf("add messages: %v", err)
	}
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestThreadListShowsLastMessageAndUnread starts threads as Alice and reads the list as
// Bob, before and after he opens one.
func TestThreadListShowsLastMessageAndUnread(t *testing.T) {
	env := newTestEnv(t, Config{})
	f := env.fix
	alice, bob := env.signedIn("alice@acme.example"), env.signedIn("bob@acme.example")
	older := addThread(t, env, f.Acme.ID.String(), f.Bob.ID, "Older thread", 2)
	addThread(t, env, f.Globex.ID.String(), f.Carol.ID, "Globex secret", 1)

	resp := alice.post("/o/acme/threads", url.Values{"title": {"Launch plan"},
		"body": {"Kick-off is **Monday**.\r\nBring the draft."}}, htmx...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("start thread: status %d, body %s", resp.StatusCode, resp.body)
	}
	doc := parseHTML(t, resp.body)
	if got := doc.Find(`hx-partial [data-testid=thread-title]`).Text(); got != "Launch plan" {
		t.Errorf("new row in the answer = %q, want Launch plan", got)
	}
	if v, _ := doc.Find(`#thread-title`).Attr("value"); v != "" {
		t.Errorf("the form was not cleared: title %q", v)
	}

	type row struct{ Title, Last, Unread string }
	list := func(c *testClient) []row {
		page := c.get("/o/acme/threads")
		if page.StatusCode != http.StatusOK {
			t.Fatalf("list: status %d", page.StatusCode)
		}
		var rows []row
		parseHTML(t, page.body).Find(`[data-testid=thread-row]`).Each(
			func(_ int, s *goquery.Selection) {
				rows = append(rows, row{Title: s.Find(`[data-testid=thread-title]`).Text(),
					Last:   squash(s.Find(`[data-testid=thread-last-message]`).Text()),
					Unread: squash(s.Find(`[data-testid=unread-count] [aria-hidden]`).Text())})
			})
		return rows
	}
	// The excerpt is the message's text, without its Markdown.
	want := []row{
		{"Launch plan", "Alice Anders: Kick-off is Monday. Bring the draft.", "1"},
		{"Older thread", "Bob Brown: Message 2", ""},
	}
	if diff := cmp.Diff(want, list(bob)); diff != "" {
		t.Errorf("Bob's list (-want +got):\n%s", diff)
	}
	// The posted message's excerpt is stored with it; the older thread's messages,
	// written without one, are excerpted when listed.
	var stored string
	if err := env.staffConn().QueryRow(context.Background(), `SELECT excerpt FROM message
		WHERE body LIKE 'Kick-off%'`).Scan(&stored); err != nil ||
		stored != "Kick-off is Monday. Bring the draft." {
		t.Errorf("stored excerpt %q (%v)", stored, err)
	}

	bob.get("/o/acme/threads/" + older.String())
	if got := list(alice); got[1].Unread != "2" {
		t.Errorf("Alice's unread for Older thread = %q, want 2", got[1].Unread)
	}
	bob.get(list2path(t, bob, "Launch plan"))
	want[0].Unread = ""
	if diff := cmp.Diff(want, list(bob)); diff != "" {
		t.Errorf("Bob's list after reading (-want +got):\n%s", diff)
	}

	staff := env.signedIn("admin@jusb.example")
	if got := list(staff); got[0].Unread != "1" || got[1].Unread != "2" {
		t.Errorf("staff's unread = %+v, want 1 and 2 until they read", got)
	}
}

// list2path returns the link of the thread titled title in c's list.
func list2path(t testing.TB, c *testClient, title string) string {
	t.Helper()
	var href string
	parseHTML(t, c.get("/o/acme/threads").body).Find(`[data-testid=thread-title]`).Each(
		func(_ int, s *goquery.Selection) {
			if s.Text() == title {
				href, _ = s.Attr("href")
			}
		})
	if href == "" {
		t.Fatalf("no thread %q in the list", title)
	}
	return href
}

// TestThreadListPages walks the list with its "Older threads" link.
func TestThreadListPages(t *testing.T) {
	env := newTestEnv(t, Config{})
	for i := range threadsPerPage + 3 {
		addThread(t, env, env.fix.Acme.ID.String(), env.fix.Alice.ID,
			fmt.Sprintf("Thread %02d", i), 1)
	}
	alice := env.signedIn("alice@acme.example")

	first := parseHTML(t, alice.get("/o/acme/threads").body)
	if n := first.Find(`[data-testid=thread-row]`).Length(); n != threadsPerPage {
		t.Errorf("first page: %d threads, want %d", n, threadsPerPage)
	}
	next, ok := first.Find(`[data-testid=older-threads]`).Attr("href")
	if !ok {
		t.Fatal("no link to older threads")
	}
	rest := alice.get(next, htmx...)
	doc := parseHTML(t, rest.body)
	if n := doc.Find(`[data-testid=thread-row]`).Length(); n != 3 {
		t.Errorf("second page: %d threads, want 3", n)
	}
	if doc.Find(`[data-testid=older-threads]`).Length() != 0 {
		t.Error("the last page links to more")
	}
	if strings.Contains(rest.body, "<html") {
		t.Error("the HTMX request got a whole page")
	}
	if got := alice.get("/o/acme/threads?after=nonsense"); got.StatusCode != 400 {
		t.Errorf("bad cursor: status %d, want 400", got.StatusCode)
	}
}

// TestPostMessage posts as Alice with HTMX and without, and checks the message, the
// thread's time, the activity and the thread page.
func TestPostMessage(t *testing.T) {
	env := newTestEnv(t, Config{})
	f := env.fix
	thread := addThread(t, env, f.Acme.ID.String(), f.Bob.ID, "Budget", 1)
	path := "/o/acme/threads/" + thread.String()
	alice := env.signedIn("alice@acme.example")
	before := lastMessageAt(t, env, thread)

	resp := alice.post(path+"/messages", url.Values{"body": {"Numbers are _in_."},
		"tab": {uuid.NewString()}}, htmx...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post: status %d, body %s", resp.StatusCode, resp.body)
	}
	doc := parseHTML(t, resp.body)
	if got := doc.Find(`hx-partial[hx-target="#messages"] [data-testid=message-body]`).
		Find("em").Text(); got != "in" {
		t.Errorf("appended message's emphasis = %q, want in", got)
	}
	if got := doc.Find(`#message-body`).Text(); got != "" {
		t.Errorf("the form was not cleared: %q", got)
	}
	if after := lastMessageAt(t, env, thread); !after.After(before) {
		t.Errorf("last_message_at = %v, not after %v", after, before)
	}

	plain := alice.post(path+"/messages", url.Values{"body": {"Without htmx."}})
	if plain.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(plain.Header.Get("Location"), path+"#message-") {
		t.Errorf("plain post: %d to %q, want 303 to the thread", plain.StatusCode,
			plain.Header.Get("Location"))
	}

	page := parseHTML(t, alice.get(path).body)
	var bodies []string
	page.Find(`[data-testid=message-body]`).Each(func(_ int, s *goquery.Selection) {
		bodies = append(bodies, squash(s.Text()))
	})
	if diff := cmp.Diff([]string{"Message 1", "Numbers are in.", "Without htmx."},
		bodies); diff != "" {
		t.Errorf("thread page, oldest first (-want +got):\n%s", diff)
	}

	var actions string
	err := env.staffConn().QueryRow(context.Background(), `SELECT string_agg(action || ':' ||
		summary, ',' ORDER BY id) FROM activity WHERE org_id = $1 AND target_type = 'message'`,
		f.Acme.ID).Scan(&actions)
	if err != nil {
		t.Fatal(err)
	}
	if want := "message.posted:Budget,message.posted:Budget"; actions != want {
		t.Errorf("activity = %q, want %q", actions, want)
	}
}

func lastMessageAt(t testing.TB, env *testEnv, thread uuid.UUID) time.Time {
	t.Helper()
	var at time.Time
	if err := env.staffConn().QueryRow(context.Background(),
		`SELECT last_message_at FROM thread WHERE id = $1`, thread).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at
}

// TestPostMessageRefusesBadInput posts messages and threads that cannot be stored:
// each gets 422 with the form and its error, and nothing changes.
func TestPostMessageRefusesBadInput(t *testing.T) {
	env := newTestEnv(t, Config{})
	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Bob.ID, "Budget", 1)
	alice := env.signedIn("alice@acme.example")
	long := strings.Repeat("é", maxMessageChars+1)

	tests := []struct {
		name      string
		path      string
		form      url.Values
		header    []string
		wantError string
		wantKept  string // what the form must still hold
	}{
		{"empty message", "messages", url.Values{"body": {""}}, htmx,
			"Write a message", ""},
		{"only spaces", "messages", url.Values{"body": {" \r\n\t "}}, htmx,
			"Write a message", ""},
		{"too long", "messages", url.Values{"body": {long}}, htmx,
			"at most 20000 characters; this one has 20001", long},
		{"NUL byte", "messages", url.Values{"body": {"a\x00b"}}, htmx,
			"cannot be saved", ""},
		{"too long, without htmx", "messages", url.Values{"body": {long}}, nil,
			"at most 20000 characters", long},
		{"thread without title", "new", url.Values{"title": {" "}, "body": {"Hi"}}, htmx,
			"Give the thread a title", "Hi"},
		{"thread title too long", "new", url.Values{"title": {strings.Repeat("x", 201)},
			"body": {"Hi"}}, htmx, "at most 200 characters", "Hi"},
		{"thread title with a line break", "new", url.Values{"title": {"a\nb"},
			"body": {"Hi"}}, htmx, "line breaks", "Hi"},
		{"thread without message", "new", url.Values{"title": {"Plans"}, "body": {""}},
			nil, "Write a message", "Plans"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tenantSnapshot(t, env, "acme")
			path := "/o/acme/threads/" + thread.String() + "/messages"
			if tt.path == "new" {
				path = "/o/acme/threads"
			}
			resp := alice.post(path, tt.form, tt.header...)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422", resp.StatusCode)
			}
			doc := parseHTML(t, resp.body)
			errs := doc.Find(`[data-testid=message-error], [data-testid=title-error],
				[data-testid=body-error]`).Text()
			if !strings.Contains(errs, tt.wantError) {
				t.Errorf("errors = %q, want %q", errs, tt.wantError)
			}
			if tt.wantKept != "" && !strings.Contains(resp.body, tt.wantKept) {
				t.Error("the form lost what was typed")
			}
			if fragment := tt.header != nil; fragment == strings.Contains(resp.body, "<html") {
				t.Errorf("HTMX %v, but whole page %v", fragment, !fragment)
			}
			if after := tenantSnapshot(t, env, "acme"); after != before {
				t.Errorf("data changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}

	missing := "/o/acme/threads/" + uuid.NewString() + "/messages"
	if got := alice.post(missing, url.Values{"body": {"x"}}, htmx...); got.StatusCode != 404 {
		t.Errorf("post to a thread that does not exist: status %d, want 404", got.StatusCode)
	}
	if got := alice.post(missing, url.Values{"body": {""}}, htmx...); got.StatusCode != 404 {
		t.Errorf("empty post to a thread that does not exist: status %d, want 404",
			got.StatusCode)
	}
}

// TestThreadPages walks a long thread back with "Earlier messages".
func TestThreadPages(t *testing.T) {
	env := newTestEnv(t, Config{})
	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Bob.ID, "Long",
		messagesPerPage+5)
	bob := env.signedIn("bob@acme.example")
	path := "/o/acme/threads/" + thread.String()

	page := parseHTML(t, bob.get(path).body)
	msgs := page.Find(`[data-testid=message-body]`)
	if msgs.Length() != messagesPerPage || squash(msgs.First().Text()) != "Message 6" ||
		squash(msgs.Last().Text()) != fmt.Sprintf("Message %d", messagesPerPage+5) {
		t.Errorf("latest window: %d messages from %q to %q", msgs.Length(),
			squash(msgs.First().Text()), squash(msgs.Last().Text()))
	}
	earlier, ok := page.Find(`[data-testid=earlier-messages]`).Attr("href")
	if !ok {
		t.Fatal("no link to earlier messages")
	}

	frag := parseHTML(t, bob.get(earlier, htmx...).body)
	var got []string
	frag.Find(`[data-testid=message-body]`).Each(func(_ int, s *goquery.Selection) {
		got = append(got, squash(s.Text()))
	})
	want := []string{"Message 1", "Message 2", "Message 3", "Message 4", "Message 5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("earlier window (-want +got):\n%s", diff)
	}
	if frag.Find(`[data-testid=earlier-messages]`).Length() != 0 {
		t.Error("the first window links to more")
	}

	full := parseHTML(t, bob.get(earlier).body)
	if full.Find(`[data-testid=latest-messages]`).Length() != 1 ||
		full.Find(`[data-testid=message-form]`).Length() != 0 {
		t.Error("an earlier window, loaded as a page, should link to the latest, without form")
	}
}

// TestThreadBudget checks the round trips of the thread list and the thread view,
// with 1 and with 50 threads or messages.
func TestThreadBudget(t *testing.T) {
	env := newTestEnv(t, Config{})
	f := env.fix
	checkBudget(t, env, "bob@acme.example", "/o/acme/threads", 3,
		func(t testing.TB, env *testEnv, n int) {
			for range n {
				addThread(t, env, f.Acme.ID.String(), f.Alice.ID, "Thread", 2)
			}
		})

	thread := addThread(t, env, f.Acme.ID.String(), f.Alice.ID, "Grows", 0)
	path := "/o/acme/threads/" + thread.String()
	checkBudget(t, env, "bob@acme.example", path, 3,
		func(t testing.TB, env *testEnv, n int) { addMessages(t, env, thread, f.Alice.ID, n) })

	// With news since the last visit, the view also marks the thread read: one more
	// round trip, whatever the number of new messages.
	bob := env.signedIn("bob@acme.example")
	for _, n := range []int{1, 50} {
		addMessages(t, env, thread, f.Alice.ID, n)
		env.counter.Reset()
		if got := bob.get(path); got.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, got.StatusCode)
		}
		if got := env.counter.Count(); got != 3 {
			t.Errorf("thread view after %d new messages: %d round trips, want 3", n, got)
		}
	}
}

// event is one server-sent event.
