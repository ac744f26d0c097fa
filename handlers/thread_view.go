package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// messagesPerPage is how many messages the thread view shows at a time.
const messagesPerPage = 50

// threadView shows a thread's latest messages, or with ?before= the window before that
// position, and marks the thread read for the viewer when it shows the latest. For an
// HTMX request with ?before= it answers only that window, which the "Earlier
// messages" link puts above the ones on the page.
func (s *Server) threadView(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	threadID, err := threadIDParam(r)
	if err != nil {
		return err
	}
	before, err := parseMessageCursor(r.URL.Query().Get("before"))
	if err != nil {
		return err
	}

	page, err := s.store.LoadThreadPage(ctx, ws.OrgID, threadID, v.ID, before,
		messagesPerPage)
	if err != nil {
		return fmt.Errorf("show thread in %s: %w", ws.Slug, err)
	}
	// Only a thread with news since the last visit costs a write (a third round trip).
	latest := before.At.IsZero()
	if latest && newestIn(page).After(page.LastRead) {
		s.markRead(r, ws.OrgID, threadID, v.ID)
	}

	view := s.threadPageView(ws.Slug, page, latest, newThreadTab())
	if !latest && isFragmentRequest(r) {
		s.renderStatus(w, r, http.StatusOK, components.EarlierMessages(view))
		return nil
	}
	s.renderStatus(w, r, http.StatusOK, components.ThreadPage(s.threadShell(r, page), view))
	return nil
}

// newestIn returns the time of the thread's newest message.
func newestIn(page db.ThreadPage) time.Time {
	newest := page.Thread.LastMessageAt
	if n := len(page.Messages); n > 0 && page.Messages[n-1].CreatedAt.After(newest) {
		newest = page.Messages[n-1].CreatedAt
	}
	return newest
}

// markRead records that the viewer has read the thread. A failure costs only a stale
// unread count, so it is logged and the page is still shown.
func (s *Server) markRead(r *http.Request, org db.OrgID, thread, user uuid.UUID) {
	if err := s.store.MarkThreadRead(r.Context(), org, thread, user); err != nil {
		s.log.Error("mark thread read",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("thread_id", thread.String()), slog.Any("error", err))
	}
}

func (s *Server) threadShell(r *http.Request, page db.ThreadPage) components.Shell {
	return s.shellFor(r, page.Thread.Title, components.SectionThreads)
}

// threadPageView builds the thread's view model; tab identifies this page to its
// live stream and its post form.
func (s *Server) threadPageView(slug string, page db.ThreadPage, latest bool,
	tab string) components.ThreadView {
	id := page.Thread.ID
	v := components.ThreadView{
		Title:     page.Thread.Title,
		ListURL:   threadsURL(slug),
		Latest:    latest,
		LatestURL: threadURL(slug, id),
		Form: components.MessageForm{Action: messagesURL(slug, id), Tab: tab,
			Attachments: attachmentsEnabled},
	}
	for _, m := range page.Messages {
		v.Messages = append(v.Messages, s.messageView(slug, m))
	}
	if page.More && len(page.Messages) > 0 {
		first := page.Messages[0]
		v.EarlierURL = threadURL(slug, id) + "?before=" +
			url.QueryEscape(encodeKeyset(first.CreatedAt, first.ID))
	}
	// The stream starts after the newest message shown, so that one posted between
	// this page and the stream's start is not missed.
	events := url.Values{"tab": {tab}}
	if n := len(page.Messages); n > 0 {
		last := page.Messages[n-1]
		events.Set("after", encodeKeyset(last.CreatedAt, last.ID))
	}
	v.EventsURL = threadURL(slug, id) + "/events?" + events.Encode()
	return v
}

// messageView builds a message's view model. A message stored without its rendering
// (body_html empty) is rendered now.
func (s *Server) messageView(slug string, m db.ThreadMessage) components.MessageView {
	html := m.BodyHTML
	if html == "" {
		var err error
		if html, err = s.markdown.render(m.Body); err != nil {
			s.log.Error("render message", slog.String("message_id", m.ID.String()),
				slog.Any("error", err))
			html = "<p>This message cannot be shown.</p>"
		}
	}
	v := components.MessageView{DOMID: "message-" + m.ID.String(), Author: m.AuthorName,
		At: m.CreatedAt, HTML: html}
	for _, a := range m.Attachments {
		v.Attachments = append(v.Attachments, components.AttachmentView{Name: a.Filename,
			URL: attachmentURL(slug, a.ID), Size: components.HumanSize(a.Size)})
	}
	return v
}

// newThreadTab returns a fresh ID for one open thread page.
func newThreadTab() string { return uuid.NewString() }

// threadTabParam returns a tab ID sent back by a page, or "" for anything but one.
func threadTabParam(s string) string {
	id, err := uuid.Parse(s)
	if err != nil {
		return ""
	}
	return id.String()
}

func messagesURL(slug string, thread uuid.UUID) string {
	return threadURL(slug, thread) + "/messages"
}

// attachmentURL is the file area's download link for a file.
func attachmentURL(slug string, id uuid.UUID) string {
	return "/o/" + url.PathEscape(slug) + "/files/" + id.String()
}
