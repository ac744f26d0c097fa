package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// threadEventsChannel is the PostgreSQL channel that announces new messages.
const threadEventsChannel = "thread_events"

// Live stream timings.
const (
	// streamHeartbeat is how often an idle stream sends a comment, so that proxies
	// keep it open and a client that went away is noticed.
	streamHeartbeat = 20 * time.Second
	// streamWriteWait bounds each write to a stream; a client that reads nothing for
	// that long is dropped.
	streamWriteWait = 10 * time.Second
	// streamListenWait is how long a new stream waits for the database listener.
	streamListenWait = 5 * time.Second
	// streamRetry is the reconnection delay a stream suggests to the browser, in ms.
	streamRetry = 2000
	// streamCatchUp bounds the messages a stream sends that it missed.
	streamCatchUp = 200
)

// threadEvent is the payload of a notification: IDs only. Nothing in it is trusted:
// each stream loads the message for its own organization and thread.
type threadEvent struct {
	Org     uuid.UUID `json:"org"`
	Thread  uuid.UUID `json:"thread"`
	Message uuid.UUID `json:"message"`
	// Tab is the thread page that posted the message; that page's own stream skips it,
	// since the page has the message from the post's answer.
	Tab string `json:"tab,omitempty"`
}

// threadEvents is the live stream of a thread's new messages, as server-sent events:
// each event is a message rendered as the thread page shows it, for htmx's SSE
// extension to put at the end of the list. With Last-Event-ID or ?after= it first
// sends what came after that position. Opened as a page rather than as a stream, the
// URL shows the thread, like every URL of the portal.
func (s *Server) threadEvents(w http.ResponseWriter, r *http.Request) error {
	if !acceptsEventStream(r) {
		return s.threadView(w, r)
	}
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	threadID, err := threadIDParam(r)
	if err != nil {
		return err
	}
	pos := r.Header.Get("Last-Event-ID")
	if pos == "" {
		pos = r.URL.Query().Get("after")
	}
	after, err := parseMessageCursor(pos)
	if err != nil {
		return err
	}
	if _, err := s.store.LoadThread(ctx, ws.OrgID, threadID); err != nil {
		return fmt.Errorf("open stream of thread %s: %w", threadID, err)
	}

	sub, err := s.threadHub.subscribe(ctx, threadKey{org: ws.OrgID, thread: threadID})
	if err != nil {
		return &httpError{status: http.StatusServiceUnavailable,
			message: "Live updates are not available right now.", err: err}
	}
	defer s.threadHub.unsubscribe(sub)

	st := &stream{s: s, w: w, rc: http.NewResponseController(w), r: r, slug: ws.Slug,
		org: ws.OrgID, thread: threadID, viewer: v.ID,
		tab: threadTabParam(r.URL.Query().Get("tab")), last: after}
	if err := st.open(); err != nil {
		return nil // the client is gone; nothing can be told to it
	}
	if err := st.run(ctx, sub); err != nil {
		s.log.Debug("thread stream ended",
			slog.String("request_id", middleware.GetReqID(ctx)),
			slog.String("thread_id", threadID.String()), slog.Any("error", err))
	}
	return nil
}

// acceptsEventStream reports whether the request asks for server-sent events, as
// EventSource and htmx's SSE extension do.
func acceptsEventStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// stream is one open event stream.
type stream struct {
	s      *Server
	w      http.ResponseWriter
	rc     *http.ResponseController
	r      *http.Request
	slug   string
	org    db.OrgID
	thread uuid.UUID
	viewer uuid.UUID
	tab    string
	// last is the newest position sent, the event ID the browser reconnects with.
	last db.MessageCursor
}

var errStreamEnded = errors.New("stream ended by the server")

// open sends the headers. The server's read and write timeouts are lifted for this
// response only; each write gets its own deadline instead.
func (st *stream) open() error {
	if err := st.rc.SetReadDeadline(time.Time{}); err != nil &&
		!errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("lift read deadline: %w", err)
	}
	h := st.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // a buffering proxy would hold events back
	st.w.WriteHeader(http.StatusOK)
	return st.write(fmt.Sprintf(": listening\nretry: %d\n\n", streamRetry))
}

// run sends what the stream missed, then each new message, until the client goes
// away, the hub ends the subscription or the server shuts down.
func (st *stream) run(ctx context.Context, sub *subscription) error {
	if !st.last.At.IsZero() {
		if err := st.catchUp(ctx); err != nil {
			return err
		}
	}
	beat := time.NewTicker(streamHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sub.ended:
			return errStreamEnded
		case <-beat.C:
			if err := st.write(": ping\n\n"); err != nil {
				return err
			}
		case e := <-sub.events:
			if err := st.deliver(ctx, e); err != nil {
				return err
			}
		}
	}
}

// catchUp sends the messages after the stream's position, oldest first.
func (st *stream) catchUp(ctx context.Context) error {
	sent := 0
	for sent < streamCatchUp {
		ms, err := st.s.store.LoadMessagesAfter(ctx, st.org, st.thread, st.last,
			messagesPerPage)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if err := st.send(m); err != nil {
				return err
			}
		}
		sent += len(ms)
		if len(ms) < messagesPerPage {
			break
		}
	}
	if sent > 0 {
		st.s.markRead(st.r, st.org, st.thread, st.viewer)
	}
	return nil
}

// deliver sends the event's message, loaded for the stream's own organization and
// thread: an event that names anything else sends nothing.
func (st *stream) deliver(ctx context.Context, e threadEvent) error {
	m, err := st.s.store.LoadMessage(ctx, st.org, st.thread, e.Message)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.tab != "" && e.Tab == st.tab {
		// This page has the message already; move the position past it only.
		st.advance(m)
		return st.write("id: " + encodeKeyset(st.last.At, st.last.ID) + "\n\n")
	}
	if err := st.send(m); err != nil {
		return err
	}
	st.s.markRead(st.r, st.org, st.thread, st.viewer)
	return nil
}

// send writes one message as an event: its HTML as data lines, its position as the ID.
func (st *stream) send(m db.ThreadMessage) error {
	var buf bytes.Buffer
	c := components.MessageItem(st.s.messageView(st.slug, m))
	if err := c.Render(st.r.Context(), &buf); err != nil {
		return fmt.Errorf("render message %s: %w", m.ID, err)
	}
	st.advance(m)

	var ev strings.Builder
	ev.WriteString("id: " + encodeKeyset(st.last.At, st.last.ID) + "\n")
	html := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(buf.String())
	for line := range strings.SplitSeq(html, "\n") {
		ev.WriteString("data: " + line + "\n")
	}
	ev.WriteString("\n")
	return st.write(ev.String())
}

// advance moves the stream's position to m, never back: with concurrent posts,
// notifications may arrive out of order.
func (st *stream) advance(m db.ThreadMessage) {
	if m.CreatedAt.After(st.last.At) ||
		(m.CreatedAt.Equal(st.last.At) && bytes.Compare(m.ID[:], st.last.ID[:]) > 0) {
		st.last = db.MessageCursor{At: m.CreatedAt, ID: m.ID}
	}
}

func (st *stream) write(s string) error {
	if err := st.rc.SetWriteDeadline(time.Now().Add(streamWriteWait)); err != nil &&
		!errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if _, err := st.w.Write([]byte(s)); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	if err := st.rc.Flush(); err != nil {
		return fmt.Errorf("flush event: %w", err)
	}
	return nil
}

// threadKey names one thread's subscribers.
type threadKey struct {
	org    db.OrgID
	thread uuid.UUID
}

// subscription is one stream's place in the hub.
type subscription struct {
	key    threadKey
	events chan threadEvent
	// ended is closed when the hub drops the subscription: the hub is closing, the
	// database listener was lost, or the stream fell too far behind. The browser
	// then reconnects and catches up from its last event.
	ended chan struct{}
}

// subscriptionBuffer is how many events a stream may fall behind before it is dropped.
const subscriptionBuffer = 32

// threadHub fans the database's notifications out to the streams of this process.
// It listens on one connection, started with the first subscription; with several
// portal processes, each has its own hub and every hub hears every post.
type threadHub struct {
	store *db.Store
	log   *slog.Logger

	mu     sync.Mutex
	subs   map[threadKey]map[*subscription]struct{}
	ready  chan struct{} // closed while the listener is listening
	closed bool
	cancel context.CancelFunc // stops the listener; nil until started
	done   chan struct{}      // closed when the listener has stopped
}

func newThreadHub(store *db.Store, log *slog.Logger) *threadHub {
	return &threadHub{store: store, log: log, subs: map[threadKey]map[*subscription]struct{}{},
		ready: make(chan struct{})}
}

var errHubClosed = errors.New("thread hub closed")

// subscribe adds a subscription for key and waits, up to streamListenWait, until the
// hub is listening, so that nothing posted after subscribe returns is missed.
func (h *threadHub) subscribe(ctx context.Context, key threadKey) (*subscription, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errHubClosed
	}
	if h.cancel == nil {
		h.start()
	}
	sub := &subscription{key: key, events: make(chan threadEvent, subscriptionBuffer),
		ended: make(chan struct{})}
	if h.subs[key] == nil {
		h.subs[key] = map[*subscription]struct{}{}
	}
	h.subs[key][sub] = struct{}{}
	ready := h.ready
	h.mu.Unlock()

	wait := time.NewTimer(streamListenWait)
	defer wait.Stop()
	select {
	case <-ready:
		return sub, nil
	case <-sub.ended:
		return nil, errHubClosed
	case <-ctx.Done():
		h.unsubscribe(sub)
		return nil, ctx.Err()
	case <-wait.C:
		h.unsubscribe(sub)
		return nil, errors.New("thread hub: database listener not ready")
	}
}

// start runs the listener; h.mu is held.
func (h *threadHub) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		err := h.store.Listen(ctx, threadEventsChannel, h.dispatch, h.setListening)
		if err != nil {
			h.log.Error("thread hub stopped", slog.Any("error", err))
		}
	}()
}

// unsubscribe removes sub, if the hub has not dropped it already.
func (h *threadHub) unsubscribe(sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub.key][sub]; ok {
		h.drop(sub)
	}
}

// drop removes sub and tells its stream; h.mu is held.
func (h *threadHub) drop(sub *subscription) {
	delete(h.subs[sub.key], sub)
	if len(h.subs[sub.key]) == 0 {
		delete(h.subs, sub.key)
	}
	close(sub.ended)
}

// dispatch passes a notification to the subscribers of its thread. A subscriber that
// fell too far behind is dropped rather than waited for.
func (h *threadHub) dispatch(payload string) {
	var e threadEvent
	if err := json.Unmarshal([]byte(payload), &e); err != nil {
		h.log.Warn("thread event not understood", slog.Any("error", err))
		return
	}
	key := threadKey{org: db.OrgID(e.Org), thread: e.Thread}
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[key] {
		select {
		case sub.events <- e:
		default:
			h.drop(sub)
		}
	}
}

// setListening follows the listener's state. When the listener is lost, every stream
// is ended: its browser reconnects, and catches up from its last event, once the
// listener is back.
func (h *threadHub) setListening(listening bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if listening {
		close(h.ready)
		h.log.Debug("thread hub listening")
		return
	}
	select {
	case <-h.ready:
		h.ready = make(chan struct{})
	default: // not listening already: a reconnection failed
	}
	h.endAll()
	h.log.Warn("thread hub has no database listener", slog.Any("error", err))
}

// endAll drops every subscription; h.mu is held.
func (h *threadHub) endAll() {
	for _, subs := range h.subs {
		for sub := range subs {
			h.drop(sub)
		}
	}
}

// close ends every stream, refuses new ones and stops the listener. The browsers
// reconnect elsewhere (or here, after a restart) and catch up.
func (h *threadHub) close() {
	h.mu.Lock()
	h.closed = true
	h.endAll()
	cancel, done := h.cancel, h.done
	h.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
