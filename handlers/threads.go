package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// threadRoutes declares the routes of the threads area.
func (s *Server) threadRoutes() []Route {
	return []Route{
		rt("GET", "/o/{slug}/threads", Member, s.threadList),
		rt("POST", "/o/{slug}/threads", Member, s.createThread),
		rt("GET", "/o/{slug}/threads/{thread_id}", Member, s.threadView),
		s.postMessageRoute(),
		rt("GET", "/o/{slug}/threads/{thread_id}/events", Member, s.threadEvents),
	}
}

// threadsPerPage is the length of a page of the thread list.
const threadsPerPage = 50

// Limits of what people type, as the database also enforces them.
const (
	maxTitleChars   = 200
	maxMessageChars = 20000
)

// threadList shows the organization's threads, the most recently active first, with
// the viewer's unread counts; ?after= pages on.
func (s *Server) threadList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)

	after, err := parseThreadCursor(r.URL.Query().Get("after"))
	if err != nil {
		return err
	}

	rows, err := s.store.LoadThreadList(ctx, ws.OrgID, v.ID, after, threadsPerPage+1)
	if err != nil {
		return fmt.Errorf("list threads of %s: %w", ws.Slug, err)
	}

	view := s.threadsView(ws.Slug, rows, !after.LastMessageAt.IsZero())
	view.Form = components.NewThreadForm{Action: threadsURL(ws.Slug)}
	shell := s.shellFor(r, "Threads", components.SectionThreads)
	s.render(w, r, http.StatusOK, components.ThreadsPage(shell, view),
		components.ThreadRows(view))
	return nil
}

func (s *Server) threadsView(slug string, rows []db.ListThreadsRow,
	paged bool) components.ThreadsView {
	v := components.ThreadsView{Paged: paged, NewURL: threadsURL(slug)}
	if len(rows) > threadsPerPage {
		rows = rows[:threadsPerPage]
		last := rows[len(rows)-1]
		v.OlderURL = threadsURL(slug) + "?after=" +
			url.QueryEscape(encodeKeyset(last.LastMessageAt, last.ID))
	}
	for _, t := range rows {
		v.Threads = append(v.Threads, components.ThreadRow{
			URL: threadURL(slug, t.ID), Title: t.Title, Author: t.LastMessageAuthor,
			Excerpt: s.listedExcerpt(t), At: t.LastMessageAt,
			Unread: int(t.UnreadCount),
		})
	}
	return v
}

// createThread starts a thread with its first message.
func (s *Server) createThread(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)

	form := components.NewThreadForm{Action: threadsURL(ws.Slug),
		Title: strings.TrimSpace(r.PostFormValue("title")),
		Body:  normalizeMessageBody(r.PostFormValue("body"))}
	form.TitleError = validateThreadTitle(form.Title)
	form.BodyError = validateMessageBody(form.Body)
	if form.TitleError != "" || form.BodyError != "" {
		return s.renderNewThreadErrors(w, r, form)
	}
	rendered, err := s.markdown.message(form.Body)
	if err != nil {
		return err
	}

	var thread db.CreateThreadRow
	err = s.store.InOrg(ctx, ws.OrgID, func(q *db.Queries) error {
		var err error
		thread, err = q.CreateThread(ctx, db.CreateThreadParams{OrgID: ws.OrgID,
			Title: form.Title, CreatedBy: v.ID})
		if err != nil {
			return fmt.Errorf("create thread: %w", err)
		}
		if _, err := insertMessage(ctx, q, ws.OrgID, v.ID, thread.ID, thread.Title,
			form.Body, rendered); err != nil {
			return err
		}
		return recordActivity(ctx, q, ws.OrgID, v.ID, change{Action: "thread.created",
			TargetType: "thread", TargetID: &thread.ID, Summary: thread.Title})
	})
	if err != nil {
		return fmt.Errorf("start thread in %s: %w", ws.Slug, err)
	}

	if !isFragmentRequest(r) {
		http.Redirect(w, r, threadURL(ws.Slug, thread.ID), http.StatusSeeOther)
		return nil
	}
	row := components.ThreadRow{URL: threadURL(ws.Slug, thread.ID), Title: thread.Title,
		Author: v.Name, Excerpt: rendered.Excerpt, At: thread.LastMessageAt}
	s.renderStatus(w, r, http.StatusOK, components.ThreadCreated(
		components.NewThreadForm{Action: form.Action, Started: thread.Title}, row))
	return nil
}

// renderNewThreadErrors answers a new thread with errors, 422: the form alone for
// HTMX, the list page around it otherwise.
func (s *Server) renderNewThreadErrors(w http.ResponseWriter, r *http.Request,
	form components.NewThreadForm) error {
	if isFragmentRequest(r) {
		s.renderStatus(w, r, http.StatusUnprocessableEntity,
			components.NewThreadFormView(form))
		return nil
	}
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	rows, err := s.store.LoadThreadList(ctx, ws.OrgID, v.ID, db.ThreadCursor{},
		threadsPerPage+1)
	if err != nil {
		return fmt.Errorf("list threads of %s: %w", ws.Slug, err)
	}
	view := s.threadsView(ws.Slug, rows, false)
	view.Form = form
	shell := s.shellFor(r, "Threads", components.SectionThreads)
	s.renderStatus(w, r, http.StatusUnprocessableEntity, components.ThreadsPage(shell, view))
	return nil
}

// validateThreadTitle returns what is wrong with a thread's title, or "".
func validateThreadTitle(title string) string {
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return "Give the thread a title."
	case n > maxTitleChars:
		return fmt.Sprintf("A title can have at most %d characters; this one has %d.",
			maxTitleChars, n)
	case !utf8.ValidString(title) || strings.ContainsFunc(title, unicode.IsControl):
		return "The title contains characters that cannot be saved, such as line breaks."
	}
	return ""
}

// validateMessageBody returns what is wrong with a message's body, or "".
func validateMessageBody(body string) string {
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return "Write a message before sending it."
	case n > maxMessageChars:
		return fmt.Sprintf("A message can have at most %d characters; this one has %d. "+
			"Shorten it, or split it into two messages.", maxMessageChars, n)
	case !utf8.ValidString(body) || strings.ContainsRune(body, 0):
		return "The message contains characters that cannot be saved."
	}
	return ""
}

// normalizeMessageBody trims a message and gives it Unix line endings, as browsers send CRLF.
func normalizeMessageBody(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	return strings.TrimSpace(body)
}

// listedExcerpt is the excerpt of a listed thread's last message: the one stored with
// it, or made from its body for a message stored without one.
func (s *Server) listedExcerpt(t db.ListThreadsRow) string {
	if t.LastMessageExcerpt != "" {
		return t.LastMessageExcerpt
	}
	return s.markdown.excerpt(t.LastMessageStart)
}

func threadsURL(slug string) string { return "/o/" + url.PathEscape(slug) + "/threads" }

func threadURL(slug string, id uuid.UUID) string {
	return threadsURL(slug) + "/" + id.String()
}

// threadIDParam reads {thread_id}; anything but a UUID is a thread that does not exist.
func threadIDParam(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, "thread_id"))
	if err != nil {
		return uuid.UUID{}, errNotFound
	}
	return id, nil
}

func parseThreadCursor(s string) (db.ThreadCursor, error) {
	at, id, err := decodeKeyset(s)
	return db.ThreadCursor{LastMessageAt: at, ID: id}, err
}

func parseMessageCursor(s string) (db.MessageCursor, error) {
	at, id, err := decodeKeyset(s)
	return db.MessageCursor{At: at, ID: id}, err
}
