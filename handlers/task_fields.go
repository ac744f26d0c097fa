package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

// The limits of a task's text, as the schema holds them, in characters.
const (
	maxTaskTitle = 200
	maxTaskText  = 20000 // a description or a note
)

// The due dates a form may give: any real date in these years.
const (
	minDueYear = 1900
	maxDueYear = 9999
)

// errFormInvalid ends a transaction whose form turned out to have errors, so that
// nothing of it is written.
var errFormInvalid = errors.New("form has errors")

// taskDetails are the fields of a task that its details form edits, checked.
type taskDetails struct {
	Title, Description string
	Due                *time.Time
}

// checkTaskDetails checks what a form gives for the title, description and due date,
// and returns them cleaned up. A field that will not do gets its problem in problems.
func checkTaskDetails(title, description, due string,
	problems components.TaskErrors) taskDetails {
	var d taskDetails
	var problem string
	if d.Title, problem = checkTitle(title); problem != "" {
		problems["title"] = problem
	}
	if d.Description, problem = checkText(description, "description", false); problem != "" {
		problems["description"] = problem
	}
	if d.Due, problem = checkDue(due); problem != "" {
		problems["due_date"] = problem
	}
	return d
}

// checkTitle trims a title and checks it is one line of 1 to 200 characters.
func checkTitle(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case s == "":
		return s, "Enter a title."
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return s, "The title must be one line of text, without control characters."
	case n > maxTaskTitle:
		return s, fmt.Sprintf("The title has %d characters; it may have up to %d.", n,
			maxTaskTitle)
	}
	return s, ""
}

// checkText trims a description or a note, makes its line breaks \n, and checks it
// has at most 20,000 characters and no control characters but line breaks and tabs.
// what names the field in the message.
func checkText(s, what string, required bool) (string, string) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(s); {
	case s == "" && required:
		return s, "Write the " + what + " first."
	case !utf8.ValidString(s) || strings.ContainsFunc(s, badTextRune):
		return s, "The " + what + " contains characters that are not text."
	case n > maxTaskText:
		return s, fmt.Sprintf("The %s has %d characters; it may have up to %d.", what, n,
			maxTaskText)
	}
	return s, ""
}

func badTextRune(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }

// checkDue parses a due date as a date input sends it (2026-12-31); empty is none.
func checkDue(s string) (*time.Time, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ""
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < minDueYear || d.Year() > maxDueYear {
		return nil, "Enter a real date, such as 2026-12-31, or leave it empty."
	}
	return &d, ""
}

// checkAssignee checks the assignee a form names, inside the transaction that will
// assign them: nobody (""), or an active member of org, whom LockAssignee keeps from
// being deactivated until the transaction ends. It returns their ID and name, or the
// problem with them; another organization's user is not found, like a made-up ID.
func checkAssignee(ctx context.Context, q *db.Queries, org db.OrgID, raw string) (
	*uuid.UUID, string, string, error) {
	if raw == "" {
		return nil, "", "", nil
	}
	const notMember = "Choose a member of this organization."
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, "", notMember, nil
	}
	u, err := q.LockAssignee(ctx, db.LockAssigneeParams{OrgID: org, ID: id})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil, "", notMember, nil
	case err != nil:
		return nil, "", "", fmt.Errorf("check assignee %s: %w", id, err)
	case !u.IsActive:
		return nil, "", u.Name + " has been deactivated: choose an active member.", nil
	}
	return &id, u.Name, "", nil
}

// formatDue is a due date as a date input shows it, "" for none.
func formatDue(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

// sameDay reports whether two optional dates are the same.
func sameDay(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
