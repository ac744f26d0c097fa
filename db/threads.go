package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ThreadMessage is a message as a thread shows it: with its author's name and the
// files attached to it. Its fields follow the columns of the message queries, in order.
type ThreadMessage struct {
	ID         uuid.UUID
	AuthorID   uuid.UUID
	AuthorName string
	// Body is the Markdown source; BodyHTML its sanitized rendering, empty when the
	// message was stored without one.
	Body        string
	BodyHTML    string
	CreatedAt   time.Time
	Attachments []Attachment
}

// Attachment is a file attached to a message, as the message queries return it (JSON).
type Attachment struct {
	ID       uuid.UUID `json:"id"`
	Filename string    `json:"filename"`
	Size     int64     `json:"size"`
	Mime     string    `json:"mime"`
}

// MessageCursor is a position in a thread's messages, which are ordered by
// (CreatedAt, ID). The zero cursor, as a "before" bound, means the newest end.
type MessageCursor struct {
	At time.Time
	ID uuid.UUID
}

// endOfTime and lastID bound every keyset from above: "before the end" is everything.
var (
	endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	lastID    = uuid.Max
)

func (c MessageCursor) orEnd() MessageCursor {
	if c.At.IsZero() {
		return MessageCursor{At: endOfTime, ID: lastID}
	}
	return c
}

// ThreadCursor is a position in the thread list, which is ordered by the last
// message's time and the thread's ID, newest first. The zero cursor is the start.
type ThreadCursor struct {
	LastMessageAt time.Time
	ID            uuid.UUID
}

// LoadThreadList reads one page of the thread list, after the cursor, with each
// thread's last message and user's unread count, in one round trip.
func (s *Store) LoadThreadList(ctx context.Context, org OrgID, user uuid.UUID,
	after ThreadCursor, maxRows int32) ([]ListThreadsRow, error) {
	if after.LastMessageAt.IsZero() {
		after = ThreadCursor{LastMessageAt: endOfTime, ID: lastID}
	}
	var rows []ListThreadsRow
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readMany(r, listThreads, &rows, user, org, after.LastMessageAt, after.ID, maxRows)
	})
	if err != nil {
		return nil, fmt.Errorf("load thread list: %w", err)
	}
	return rows, nil
}

// ThreadPage is what the thread view shows: the thread and a window of its messages.
type ThreadPage struct {
	Thread GetThreadRow
	// Messages are the window's messages, oldest first.
	Messages []ThreadMessage
	// More reports whether earlier messages exist before the window.
	More bool
	// LastRead is when the viewer last read the thread (the Unix epoch if never).
	LastRead time.Time
}

// LoadThreadPage reads the thread, up to maxRows of its messages before the cursor
// (the newest ones for the zero cursor) and when user last read it, in one round trip.
// A thread that does not exist in org is ErrNotFound.
func (s *Store) LoadThreadPage(ctx context.Context, org OrgID, thread, user uuid.UUID,
	before MessageCursor, maxRows int32) (ThreadPage, error) {
	var p ThreadPage
	before = before.orEnd()
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readOne(r, getThread, &p.Thread, org, thread)
		readMany(r, listMessagesBefore, &p.Messages, org, thread, before.At, before.ID,
			maxRows+1)
		readValue(r, getLastRead, &p.LastRead, org, thread, user)
	})
	if err != nil {
		return ThreadPage{}, fmt.Errorf("load thread %s: %w", thread, err)
	}
	if len(p.Messages) > int(maxRows) {
		p.Messages, p.More = p.Messages[:maxRows], true
	}
	// The query reads newest first, so that the window ends at the cursor.
	for i, j := 0, len(p.Messages)-1; i < j; i, j = i+1, j-1 {
		p.Messages[i], p.Messages[j] = p.Messages[j], p.Messages[i]
	}
	return p, nil
}

// LoadMessage reads one message of a thread in org. A message that is not in that
// thread of that organization is ErrNotFound.
func (s *Store) LoadMessage(ctx context.Context, org OrgID, thread, id uuid.UUID) (
	ThreadMessage, error) {
	var m ThreadMessage
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readOne(r, getMessage, &m, org, thread, id)
	})
	if err != nil {
		return ThreadMessage{}, fmt.Errorf("load message %s: %w", id, err)
	}
	return m, nil
}

// LoadMessagesAfter reads up to maxRows messages of a thread that come after the
// cursor, oldest first: what a live stream that reconnects has missed.
func (s *Store) LoadMessagesAfter(ctx context.Context, org OrgID, thread uuid.UUID,
	after MessageCursor, maxRows int32) ([]ThreadMessage, error) {
	var ms []ThreadMessage
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readMany(r, listMessagesAfter, &ms, org, thread, after.At, after.ID, maxRows)
	})
	if err != nil {
		return nil, fmt.Errorf("load messages after %s: %w", after.ID, err)
	}
	return ms, nil
}

// MarkThreadRead records that user has read the thread up to now. It is one statement
// sent in one round trip: the batch, bound to org like ReadInOrg, is its own
// transaction. A thread page can afford it after its one read.
func (s *Store) MarkThreadRead(ctx context.Context, org OrgID, thread, user uuid.UUID) error {
	if org.IsZero() {
		return fmt.Errorf("mark thread read: no organization given")
	}
	batch := &pgx.Batch{}
	batch.Queue("SELECT set_config('app.org_id', $1, true)", org.String())
	batch.Queue(markThreadRead, org, thread, user)
	if err := s.app.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("mark thread %s read: %w", thread, translate(err))
	}
	return nil
}

// LoadThread reads one thread of org. A thread that is not in org is ErrNotFound.
func (s *Store) LoadThread(ctx context.Context, org OrgID, id uuid.UUID) (GetThreadRow,
	error) {
	var t GetThreadRow
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readOne(r, getThread, &t, org, id)
	})
	if err != nil {
		return GetThreadRow{}, fmt.Errorf("load thread %s: %w", id, err)
	}
	return t, nil
}
