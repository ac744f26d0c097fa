package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// BenchmarkThreadPage serves a thread of 200 messages, stored as posting stores them:
// with their rendered HTML beside the Markdown.
func BenchmarkThreadPage(b *testing.B) {
	env := newBenchEnv(b)
	thread := addThread(b, env, env.fix.Acme.ID.String(), env.fix.Alice.ID, "Long", 200)
	storeRendered(b, env, thread)
	c := env.signedIn("bob@acme.example")
	url := env.ts.URL + "/o/acme/threads/" + thread.String()
	c.get("/o/acme/threads/" + thread.String()) // marks it read
	benchParallelGets(b, c.http, url)
}

// storeRendered renders the thread's messages and stores their HTML and excerpt, as a
// post does (addThread leaves them out, so that the page renders them when shown).
func storeRendered(b *testing.B, env *testEnv, thread uuid.UUID) {
	b.Helper()
	conn := env.staffConn()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT id, body FROM message WHERE thread_id = $1`, thread)
	if err != nil {
		b.Fatal(err)
	}
	type message struct {
		ID   uuid.UUID
		Body string
	}
	messages, err := pgx.CollectRows(rows, pgx.RowToStructByPos[message])
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range messages {
		html, excerpt, err := RenderMessage(m.Body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `UPDATE message SET body_html = $2, excerpt = $3
			WHERE id = $1`, m.ID, html, excerpt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThreadHello is BenchmarkThreadPage's baseline: a handler that writes a few
// bytes, behind an HTTPS test server, with the same concurrent clients.
func BenchmarkThreadHello(b *testing.B) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		_, _ = w.Write([]byte("hello"))
	}))
	b.Cleanup(ts.Close)
	benchParallelGets(b, ts.Client(), ts.URL)
}

// benchParallelGets fetches url from 8 goroutines per CPU with keep-alive connections.
func benchParallelGets(b *testing.B, hc *http.Client, url string) {
	b.Helper()
	if t, ok := hc.Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = 64
	}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkThreadRender renders the thread page's messages alone: 200 messages
// stored with their HTML, as the view model has them.
func BenchmarkThreadRender(b *testing.B) {
	srv := &Server{markdown: newMarkdown()}
	html, _ := srv.markdown.render("Numbers for **Q3** are in; see [the sheet](/x).")
	view := components.ThreadView{Latest: true, EventsURL: "/e", Form: components.MessageForm{
		Action: "/m", Tab: uuid.NewString()}}
	for i := range 200 {
		view.Messages = append(view.Messages, srv.messageView("acme", db.ThreadMessage{
			ID: uuid.New(), AuthorName: "Alice Anders", BodyHTML: html,
			CreatedAt: time.Now().Add(time.Duration(i) * time.Second)}))
	}
	ctx := context.Background()
	for b.Loop() {
		if err := components.Thread(view).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// TestThreadStreamOutlivesServerTimeouts serves the portal with short read and write
// timeouts, as cmd/portal sets longer ones: a stream stays open past both and still
// delivers.
