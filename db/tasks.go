package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// TaskListQuery says which page of an organization's task list to read.
type TaskListQuery struct {
	// Status, if set, keeps the tasks with that status.
	Status *string
	// ByAssignee keeps the tasks assigned to AssigneeID, or the unassigned ones when
	// AssigneeID is nil.
	ByAssignee bool
	AssigneeID *uuid.UUID
	// After is the sort key of the previous page's last row; the zero value starts at
	// the top.
	After TaskCursor
	// Limit is how many tasks to read at most.
	Limit int32
}

// TaskCursor is a task's place in the list's order (see ListTasks): done or not, due
// date (noDueDate when there is none), creation time and ID.
type TaskCursor struct {
	Done    bool
	Due     time.Time
	Created time.Time
	ID      uuid.UUID
}

// noDueDate is where undated tasks sort, the same as in ListTasks and its index.
var noDueDate = time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC)

// CursorOfTask returns the place of a listed task, to read the page after it.
func CursorOfTask(t ListTasksRow) TaskCursor {
	due := noDueDate
	if t.DueDate != nil {
		due = *t.DueDate
	}
	return TaskCursor{Done: t.Status == "done", Due: due, Created: t.CreatedAt, ID: t.ID}
}

// IsZero reports whether c is the top of the list.
func (c TaskCursor) IsZero() bool { return c == TaskCursor{} }

// String encodes c for a URL: done flag, due date, creation time in microseconds and
// ID, separated by dots.
func (c TaskCursor) String() string {
	done := "0"
	if c.Done {
		done = "1"
	}
	return strings.Join([]string{done, c.Due.UTC().Format("20060102"),
		strconv.FormatInt(c.Created.UnixMicro(), 10), c.ID.String()}, ".")
}

// errBadCursor reports a page link that this code did not make.
var errBadCursor = errors.New("malformed page position")

// ParseTaskCursor decodes what TaskCursor.String made.
func ParseTaskCursor(s string) (TaskCursor, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 || (parts[0] != "0" && parts[0] != "1") {
		return TaskCursor{}, errBadCursor
	}
	due, err := time.Parse("20060102", parts[1])
	if err != nil {
		return TaskCursor{}, fmt.Errorf("%w: due date: %w", errBadCursor, err)
	}
	micros, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return TaskCursor{}, fmt.Errorf("%w: creation time: %w", errBadCursor, err)
	}
	id, err := uuid.Parse(parts[3])
	if err != nil {
		return TaskCursor{}, fmt.Errorf("%w: id: %w", errBadCursor, err)
	}
	return TaskCursor{Done: parts[0] == "1", Due: due, Created: time.UnixMicro(micros).UTC(),
		ID: id}, nil
}

// TaskList is a page of the task list with the members a task may be assigned to,
// which its filter and create forms offer.
type TaskList struct {
	Tasks   []ListTasksRow
	Members []ListAssignableMembersRow
}

// LoadTaskList reads a page of the task list and the assignable members in one round
// trip.
func (s *Store) LoadTaskList(ctx context.Context, org OrgID, q TaskListQuery) (TaskList,
	error) {
	var l TaskList
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readMany(r, listTasks, &l.Tasks, org, q.Status, q.ByAssignee, q.AssigneeID,
			q.After.Done, q.After.Due, q.After.Created, q.After.ID, q.Limit)
		readMany(r, listAssignableMembers, &l.Members, org)
	})
	return l, err
}

// LoadAssignableMembers reads the members a task may be assigned to.
func (s *Store) LoadAssignableMembers(ctx context.Context, org OrgID) (
	[]ListAssignableMembersRow, error) {
	var members []ListAssignableMembersRow
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readMany(r, listAssignableMembers, &members, org)
	})
	return members, err
}

// NoteCursor is a note's place in a task's notes: creation time and ID. The zero
// value stands after the newest note.
type NoteCursor struct {
	Created time.Time
	ID      uuid.UUID
}

// afterAllNotes is later than any note's creation.
var afterAllNotes = time.Date(9999, time.December, 31, 23, 59, 59, 0, time.UTC)

// CursorOfNote returns the place of a note, to read the notes before it.
func CursorOfNote(n ListTaskNotesRow) NoteCursor {
	return NoteCursor{Created: n.CreatedAt, ID: n.ID}
}

// IsZero reports whether c stands after the newest note.
func (c NoteCursor) IsZero() bool { return c == NoteCursor{} }

// String encodes c for a URL: creation time in microseconds and ID.
func (c NoteCursor) String() string {
	return strconv.FormatInt(c.Created.UnixMicro(), 10) + "." + c.ID.String()
}

// ParseNoteCursor decodes what NoteCursor.String made.
func ParseNoteCursor(s string) (NoteCursor, error) {
	micros, id, ok := strings.Cut(s, ".")
	if !ok {
		return NoteCursor{}, errBadCursor
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return NoteCursor{}, fmt.Errorf("%w: creation time: %w", errBadCursor, err)
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return NoteCursor{}, fmt.Errorf("%w: id: %w", errBadCursor, err)
	}
	return NoteCursor{Created: time.UnixMicro(n).UTC(), ID: u}, nil
}

// TaskPage is a task with one page of its notes, newest first, and the members it may
// be assigned to.
type TaskPage struct {
	Task    GetTaskRow
	Notes   []ListTaskNotesRow
	Members []ListAssignableMembersRow
}

// LoadTask reads a task, up to notesLimit of its notes before notesBefore, and the
// assignable members in one round trip. A task that does not exist, or belongs to
// another organization, is ErrNotFound.
func (s *Store) LoadTask(ctx context.Context, org OrgID, id uuid.UUID,
	notesBefore NoteCursor, notesLimit int32) (TaskPage, error) {
	if notesBefore.IsZero() {
		notesBefore = NoteCursor{Created: afterAllNotes, ID: uuid.Max}
	}
	var p TaskPage
	err := s.ReadInOrg(ctx, org, func(r *Reads) {
		readOne(r, getTask, &p.Task, org, id)
		readMany(r, listTaskNotes, &p.Notes, org, id, notesBefore.Created, notesBefore.ID,
			notesLimit)
		readMany(r, listAssignableMembers, &p.Members, org)
	})
	return p, err
}
