package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// attachmentsEnabled says whether the post form takes files.
const attachmentsEnabled = true

// maxAttachments is how many files one message may carry.
const maxAttachments = 10

// messageTextBytes bounds the text fields of a multipart post: a body of
// maxMessageChars characters of up to four bytes each, and some room.
const messageTextBytes = 4*maxMessageChars + 1024

// postMessageRoute takes files too: its body may be as large as one upload plus the
// message, and it counts against the same per-user rate as uploads.
func (s *Server) postMessageRoute() Route {
	return rt("POST", "/o/{slug}/threads/{thread_id}/messages", Member, s.postMessage).
		withMaxBody(s.UploadBodyLimit() + messageTextBytes).
		withLimit(s.uploadLimitByUser())
}

// postMessage appends a message, with the files uploaded with it, to a thread. HTMX
// gets an empty form and the message to put at the end of the thread; a plain form
// post goes back to the thread. Everyone else who has the thread open gets the
// message through the thread's live stream.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	v, _ := ViewerFrom(ctx)
	threadID, err := threadIDParam(r)
	if err != nil {
		return err
	}

	in, err := s.readMessagePost(w, r, ws.OrgID)
	form := components.MessageForm{Action: messagesURL(ws.Slug, threadID), Tab: in.tab,
		Body: in.body, Attachments: attachmentsEnabled}
	if err != nil {
		s.discardAll(ctx, in.files)
		return s.refuseMessage(w, r, threadID, form, err)
	}
	rendered, err := s.markdown.message(in.body)
	if err != nil {
		s.discardAll(ctx, in.files)
		return err
	}

	msg, err := s.storeMessage(ctx, ws.OrgID, v.ID, threadID, in, rendered)
	if err != nil {
		s.discardAll(ctx, in.files)
		if refusal := s.quotaRefusal(err); refusal != nil {
			return s.refuseMessage(w, r, threadID, form, refusal)
		}
		return fmt.Errorf("post message in %s: %w", ws.Slug, err)
	}

	if !isFragmentRequest(r) {
		http.Redirect(w, r, threadURL(ws.Slug, threadID)+"#message-"+msg.ID.String(),
			http.StatusSeeOther)
		return nil
	}
	msg.AuthorName = v.Name
	fresh := components.MessageForm{Action: form.Action, Tab: form.Tab,
		Attachments: form.Attachments, Posted: true}
	s.renderStatus(w, r, http.StatusOK,
		components.MessagePosted(fresh, s.messageView(ws.Slug, msg)))
	return nil
}

// messagePost is what a post carries: the page's tab, the body, and the files
// already streamed to storage.
type messagePost struct {
	tab, body string
	files     []stagedFile
}

// readMessagePost reads and checks a post. A multipart post is read part by part, in
// order, each file streamed to storage as it comes (never the whole body in memory);
// a body that fails its checks stops the reading before any file. An error a user can
// act on is an *httpError; the files staged until then are returned with it.
func (s *Server) readMessagePost(w http.ResponseWriter, r *http.Request, org db.OrgID) (
	messagePost, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		in := messagePost{tab: threadTabParam(r.PostFormValue("tab")),
			body: normalizeMessageBody(r.PostFormValue("body"))}
		return in, messageBodyError(in.body)
	}
	allowTransfer(w, s.cfg.Files.MaxBytes, true)
	bufferBody(r)
	var in messagePost
	mr, err := r.MultipartReader()
	if err != nil {
		return in, &httpError{status: http.StatusBadRequest,
			message: "The message could not be read. Try again.", err: err}
	}
	sawBody := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return in, readError(err)
		}
		switch part.FormName() {
		case "tab":
			in.tab = threadTabParam(readField(part, 64))
		case "body":
			sawBody = true
			raw := readField(part, messageTextBytes)
			if len(raw) > messageTextBytes {
				return in, errMessageTooLong
			}
			in.body = normalizeMessageBody(raw)
			if err := messageBodyError(in.body); err != nil {
				return in, err
			}
		case "files":
			if part.FileName() == "" {
				continue // the file input, left empty
			}
			if len(in.files) == maxAttachments {
				return in, &httpError{status: http.StatusUnprocessableEntity,
					message: fmt.Sprintf("A message can carry at most %d files.",
						maxAttachments)}
			}
			f, err := s.stageUpload(r.Context(), org, part)
			if err != nil {
				return in, err
			}
			in.files = append(in.files, f)
		}
	}
	if !sawBody {
		return in, messageBodyError("")
	}
	return in, nil
}

// readField reads a text part, up to max bytes and one more, so that the caller can
// tell a field that is too long.
func readField(part io.Reader, max int) string {
	b, _ := io.ReadAll(io.LimitReader(part, int64(max)+1))
	return string(b)
}

// messageBodyError is validateMessageBody's answer as an error, 422, or nil.
func messageBodyError(body string) error {
	if msg := validateMessageBody(body); msg != "" {
		return &httpError{status: http.StatusUnprocessableEntity, message: msg}
	}
	return nil
}

// errMessageTooLong answers a multipart body field far past the limit, whose length
// was not read to the end.
var errMessageTooLong = &httpError{status: http.StatusUnprocessableEntity,
	message: fmt.Sprintf("A message can have at most %d characters; this one has more. "+
		"Shorten it, or split it into two messages.", maxMessageChars)}

// storeMessage writes the message, its files and their links, and the activity
// entries in one transaction, which also announces the message to the live streams
// when it commits. It returns the message as the thread shows it.
func (s *Server) storeMessage(ctx context.Context, org db.OrgID, author, thread uuid.UUID,
	in messagePost, rendered renderedMessage) (db.ThreadMessage, error) {
	m := db.ThreadMessage{AuthorID: author, Body: in.body, BodyHTML: rendered.HTML}
	err := s.store.InOrg(ctx, org, func(q *db.Queries) error {
		title, err := q.TouchThread(ctx, db.TouchThreadParams{OrgID: org, ID: thread})
		if err != nil {
			return fmt.Errorf("touch thread: %w", err)
		}
		msg, err := insertMessage(ctx, q, org, author, thread, title, in.body, rendered)
		if err != nil {
			return err
		}
		m.ID, m.CreatedAt = msg.ID, msg.CreatedAt
		for _, staged := range in.files {
			file, err := s.insertFile(ctx, q, org, author, staged)
			if err != nil {
				return err
			}
			if err := q.AttachFile(ctx, db.AttachFileParams{OrgID: org, MessageID: msg.ID,
				FileID: file.ID}); err != nil {
				return fmt.Errorf("attach file: %w", err)
			}
			m.Attachments = append(m.Attachments, db.Attachment{ID: file.ID,
				Filename: file.Filename, Size: file.Size, Mime: file.Mime})
		}
		return notifyMessage(ctx, q, threadEvent{Org: uuid.UUID(org), Thread: thread,
			Message: msg.ID, Tab: in.tab})
	})
	return m, err
}

// discardAll removes the blobs of files that will not be recorded.
func (s *Server) discardAll(ctx context.Context, files []stagedFile) {
	for _, f := range files {
		s.discardStaged(ctx, f)
	}
}

// refuseMessage answers a post that cannot be stored with the form and the reason, at
// the reason's status (422, or 413 and 415 for files). Other failures are errors. The
// rest of the body is read first (within the route's limit), so that a browser still
// sending gets the answer rather than a reset connection.
func (s *Server) refuseMessage(w http.ResponseWriter, r *http.Request, threadID uuid.UUID,
	form components.MessageForm, err error) error {
	var he *httpError
	if !errors.As(err, &he) || he.status >= 500 {
		return err
	}
	_, _ = io.Copy(io.Discard, r.Body)
	form.Error = he.message
	return s.renderMessageErrors(w, r, he.status, threadID, form)
}

// renderMessageErrors answers a message with errors, at status: the form alone for HTMX,
// the thread's page around it otherwise. A thread that does not exist is a 404 either
// way.
func (s *Server) renderMessageErrors(w http.ResponseWriter, r *http.Request, status int,
	threadID uuid.UUID, form components.MessageForm) error {
	ctx := r.Context()
	ws, _ := WorkspaceFrom(ctx)
	if isFragmentRequest(r) {
		if _, err := s.store.LoadThread(ctx, ws.OrgID, threadID); err != nil {
			return err
		}
		s.renderStatus(w, r, status, components.MessageFormView(form))
		return nil
	}

	v, _ := ViewerFrom(ctx)
	page, err := s.store.LoadThreadPage(ctx, ws.OrgID, threadID, v.ID, db.MessageCursor{},
		messagesPerPage)
	if err != nil {
		return fmt.Errorf("show thread in %s: %w", ws.Slug, err)
	}
	tab := form.Tab
	if tab == "" {
		tab = newThreadTab()
	}
	view := s.threadPageView(ws.Slug, page, true, tab)
	view.Form = form
	view.Form.Tab = tab
	s.renderStatus(w, r, status, components.ThreadPage(s.threadShell(r, page), view))
	return nil
}

// insertMessage stores a message and its activity entry in q's transaction. title is
// the thread's, for the activity log.
func insertMessage(ctx context.Context, q *db.Queries, org db.OrgID, author,
	thread uuid.UUID, title, body string, rendered renderedMessage) (db.CreateMessageRow,
	error) {
	msg, err := q.CreateMessage(ctx, db.CreateMessageParams{OrgID: org, ThreadID: thread,
		AuthorID: author, Body: body, BodyHtml: rendered.HTML, Excerpt: rendered.Excerpt})
	if err != nil {
		return db.CreateMessageRow{}, fmt.Errorf("create message: %w", err)
	}
	err = recordActivity(ctx, q, org, author, change{Action: "message.posted",
		TargetType: "message", TargetID: &msg.ID, Summary: title})
	return msg, err
}

// notifyMessage announces a new message to every portal process, when the transaction
// commits.
func notifyMessage(ctx context.Context, q *db.Queries, e threadEvent) error {
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode thread event: %w", err)
	}
	return q.Notify(ctx, threadEventsChannel, string(payload))
}
