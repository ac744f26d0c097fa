package handlers

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

type event struct{ id, data string }

// eventStream reads a live stream in the background.
type eventStream struct {
	resp   *http.Response
	events chan event
}

// openEvents opens path as an event stream, as htmx's SSE extension does, and waits
// for the stream's first comment, which says that it is listening.
func openEvents(t *testing.T, c *testClient, path string, header ...string) *eventStream {
	t.Helper()
	resp := openStream(t, c, path, header...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("open %s: status %d", path, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("open %s: Content-Type %q", path, ct)
	}
	es := &eventStream{resp: resp, events: make(chan event, 64)}
	listening := make(chan struct{})
	go es.read(listening)
	select {
	case <-listening:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not start listening")
	}
	return es
}

// openStream sends a stream request, ended when the test ends.
func openStream(t *testing.T, c *testClient, path string, header ...string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.env.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html, text/event-stream")
	req.Header.Set("HX-Request", "true")
	setHeaders(req, header)
	resp, err := c.http.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
	})
	return resp
}

func (es *eventStream) read(listening chan struct{}) {
	defer close(es.events)
	sc := bufio.NewScanner(es.resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev event
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == ": listening":
			close(listening)
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		case line == "":
			if ev.id != "" || len(data) > 0 {
				ev.data = strings.Join(data, "\n")
				es.events <- ev
			}
			ev, data = event{}, nil
		}
	}
}

// next returns the next event that carries data, failing after a few seconds.
func (es *eventStream) next(t *testing.T) event {
	t.Helper()
	for {
		select {
		case ev, ok := <-es.events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.data != "" {
				return ev
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 seconds")
		}
	}
}

// none checks that no event with data arrives within a short while.
func (es *eventStream) none(t *testing.T) {
	t.Helper()
	timeout := time.After(300 * time.Millisecond)
	for {
		select {
		case ev, ok := <-es.events:
			if ok && ev.data != "" {
				t.Errorf("unexpected event %+v", ev)
			}
			if !ok {
				return
			}
		case <-timeout:
			return
		}
	}
}

// ended waits for the server to end the stream.
func (es *eventStream) ended(t *testing.T) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-es.events:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the stream did not end")
		}
	}
}

// TestThreadLiveStream follows the live path end to end: Bob has the thread open,
// Alice posts, Bob's stream gets the message; Alice's own page's stream only moves on.
func TestThreadLiveStream(t *testing.T) {
	env := newTestEnv(t, Config{})
	f := env.fix
	thread := addThread(t, env, f.Acme.ID.String(), f.Alice.ID, "Live", 1)
	path := "/o/acme/threads/" + thread.String()
	alice, bob := env.signedIn("alice@acme.example"), env.signedIn("bob@acme.example")

	// The stream URL comes from the page, as the browser gets it.
	page := parseHTML(t, bob.get(path).body)
	eventsURL, _ := page.Find(`#messages`).Attr("hx-sse:connect")
	if !strings.HasPrefix(eventsURL, path+"/events?") {
		t.Fatalf("hx-sse:connect = %q", eventsURL)
	}
	bobStream := openEvents(t, bob, eventsURL)
	aliceTab := uuid.NewString()
	aliceStream := openEvents(t, alice, path+"/events?tab="+aliceTab)

	resp := alice.post(path+"/messages", url.Values{"body": {"Are we **live**?"},
		"tab": {aliceTab}}, htmx...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post: status %d", resp.StatusCode)
	}
	ev := bobStream.next(t)
	doc := parseHTML(t, ev.data)
	if got := squash(doc.Find(`[data-testid=message-body]`).Text()); got != "Are we live?" {
		t.Errorf("Bob's event body = %q", got)
	}
	if got := doc.Find(`[data-testid=message-author]`).Text(); got != "Alice Anders" {
		t.Errorf("Bob's event author = %q", got)
	}
	// Alice's page has the message from the post's answer: her stream only moves its
	// position past it.
	select {
	case ev := <-aliceStream.events:
		if ev.data != "" || ev.id == "" {
			t.Errorf("Alice's own stream got %+v, want an ID without data", ev)
		}
	case <-time.After(5 * time.Second):
		t.Error("Alice's own stream did not move on")
	}

	// Bob saw it live, so it is not unread for him. The stream marks it read just after
	// sending it, so the test waits for that a little.
	var unread int
	var err error
	conn := env.staffConn()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err = conn.QueryRow(context.Background(), `SELECT count(*) FROM message m
			JOIN thread_read r ON r.thread_id = m.thread_id AND r.user_id = $2
			WHERE m.thread_id = $1 AND m.created_at > r.last_read_at`, thread, f.Bob.ID).
			Scan(&unread)
		if err != nil || unread == 0 || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || unread != 0 {
		t.Errorf("Bob's unread after the live message = %d (%v), want 0", unread, err)
	}

	// A stream that reconnects with the last event's ID gets what it missed.
	addMessages(t, env, thread, f.Alice.ID, 2)
	again := openEvents(t, bob, path+"/events", "Last-Event-ID", ev.id)
	for _, want := range []string{"More 1", "More 2"} {
		got := squash(parseHTML(t, again.next(t).data).Find(`[data-testid=message-body]`).Text())
		if got != want {
			t.Errorf("caught up %q, want %q", got, want)
		}
	}
	again.none(t)
}

// TestThreadStreamIsolation checks the stream against other organizations: Globex's
// member gets a 404 and no stream, and an event that names another organization's
// message sends nothing.
func TestThreadStreamIsolation(t *testing.T) {
	env := newTestEnv(t, Config{})
	f := env.fix
	acmeThread := addThread(t, env, f.Acme.ID.String(), f.Alice.ID, "Acme", 1)
	globexThread := addThread(t, env, f.Globex.ID.String(), f.Carol.ID, "Globex", 1)
	carol, bob := env.signedIn("carol@globex.example"), env.signedIn("bob@acme.example")

	tests := []struct {
		name string
		c    *testClient
		path string
	}{
		{"Globex member, Acme's slug", carol, "/o/acme/threads/" + acmeThread.String() +
			"/events"},
		{"Globex member, own slug, Acme's thread", carol, "/o/globex/threads/" +
			acmeThread.String() + "/events"},
		{"Acme member, Globex's thread", bob, "/o/acme/threads/" + globexThread.String() +
			"/events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := openStream(t, tt.c, tt.path)
			if resp.StatusCode != http.StatusNotFound ||
				resp.Header.Get("Content-Type") == "text/event-stream" {
				t.Errorf("status %d, Content-Type %q; want 404 and no stream", resp.StatusCode,
					resp.Header.Get("Content-Type"))
			}
		})
	}

	stream := openEvents(t, bob, "/o/acme/threads/"+acmeThread.String()+"/events")
	var globexMessage uuid.UUID
	conn := env.staffConn()
	ctx := context.Background()
	if err := conn.QueryRow(ctx, `SELECT id FROM message WHERE thread_id = $1`,
		globexThread).Scan(&globexMessage); err != nil {
		t.Fatal(err)
	}
	forged := fmt.Sprintf(`{"org":%q,"thread":%q,"message":%q}`, f.Acme.ID, acmeThread,
		globexMessage)
	if _, err := conn.Exec(ctx, `SELECT pg_notify($1, $2)`, threadEventsChannel,
		forged); err != nil {
		t.Fatal(err)
	}
	stream.none(t)
}

// TestThreadStreamEnds checks that a stream ends when the server drains, and that
// the events URL opened as a page shows the thread.
func TestThreadStreamEnds(t *testing.T) {
	env := newTestEnv(t, Config{})
	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Alice.ID, "Ends", 1)
	path := "/o/acme/threads/" + thread.String() + "/events"
	bob := env.signedIn("bob@acme.example")

	if page := bob.get(path); page.StatusCode != http.StatusOK ||
		!strings.Contains(page.body, `data-testid="thread-heading"`) {
		t.Errorf("events URL as a page: status %d, want the thread page", page.StatusCode)
	}

	stream := openEvents(t, bob, path)
	env.srv.Drain()
	stream.ended(t)
	if resp := openStream(t, bob, path); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("new stream while draining: status %d, want 503", resp.StatusCode)
	}
}

// sentFile is a file sent with a message.

func TestThreadStreamOutlivesServerTimeouts(t *testing.T) {
	env := newTestEnv(t, Config{})
	ts := httptest.NewUnstartedServer(env.srv.Handler())
	ts.Config.ReadTimeout, ts.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	ts.StartTLS()
	t.Cleanup(ts.Close)
	env.ts = ts
	thread := addThread(t, env, env.fix.Acme.ID.String(), env.fix.Alice.ID, "Slow", 1)
	path := "/o/acme/threads/" + thread.String()
	bob := env.signedIn("bob@acme.example")
	stream := openEvents(t, bob, path+"/events")

	time.Sleep(time.Second) // past both timeouts
	resp := env.signedIn("alice@acme.example").post(path+"/messages",
		url.Values{"body": {"Still there?"}}, htmx...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post: status %d", resp.StatusCode)
	}
	if got := squash(parseHTML(t, stream.next(t).data).Text()); !strings.Contains(got,
		"Still there?") {
		t.Errorf("event = %q", got)
	}
}
