package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jusb/portal/components"
	"github.com/jusb/portal/db"
)

func init() {
	demoContent = append(demoContent, demoSeeder{name: "tasks", fn: seedTasks})
}

// demoTask is a task of the demo content. due is in days from today (negative is
// overdue unless done); noDue leaves it without a due date.
type demoTask struct {
	title, description, status string
	creator, assignee          string // e-mail addresses; no assignee is ""
	due                        int
	noDue                      bool
	notes                      []demoNote
}

type demoNote struct{ author, body string }

// demoTasks are each demo organization's tasks, in mixed states: some overdue, some
// done, some unassigned, most with a few notes.
var demoTasks = []struct {
	slug  string
	tasks []demoTask
}{
	{"acme", []demoTask{
		{title: "Sign the updated service agreement", status: components.TaskOpen,
			description: "The agreement for 2027 is in Files. Sign both copies and upload " +
				"the scan.",
			creator: "admin@jusb.example", assignee: "alice@acme.example", due: -5,
			notes: []demoNote{
				{"bob@acme.example", "Legal asked about the notice period in clause 7."},
				{"admin@jusb.example", "Clause 7 is unchanged from last year: 60 days."},
				{"alice@acme.example", "Thanks. I will sign it this week."},
			}},
		{title: "Send the Q1 sales figures", status: components.TaskInProgress,
			description: "One spreadsheet per region, as in the last quarter.",
			creator:     "alice@acme.example", assignee: "bob@acme.example", due: 3,
			notes: []demoNote{
				{"bob@acme.example", "North and South are done; East comes on Thursday."},
			}},
		{title: "Confirm the delivery address for the new office",
			status:  components.TaskOpen,
			creator: "admin@jusb.example", assignee: "bob@acme.example", due: -1},
		{title: "Choose the colours for the new logo", status: components.TaskOpen,
			description: "Three options are attached to the Branding thread.",
			creator:     "alice@acme.example", noDue: true,
			notes: []demoNote{
				{"alice@acme.example", "My favourite is the navy one."},
				{"bob@acme.example", "Teal reads better on screens, to my eyes."},
			}},
		{title: "Review the onboarding checklist", status: components.TaskDone,
			creator: "admin@jusb.example", assignee: "alice@acme.example", due: -12,
			notes: []demoNote{
				{"alice@acme.example", "Went through it with Bob. All good."},
			}},
		{title: "Book the kickoff call with JusB", status: components.TaskInProgress,
			creator: "alice@acme.example", assignee: "alice@acme.example", due: 10},
	}},
	{"globex", []demoTask{
		{title: "Approve the website mock-ups", status: components.TaskOpen,
			description: "Home page, product page and checkout. Comments welcome " +
				"before approval.",
			creator: "admin@jusb.example", assignee: "carol@globex.example", due: -3,
			notes: []demoNote{
				{"dave@globex.example", "The checkout button is hard to see on mobile."},
				{"admin@jusb.example", "Noted: the next version makes it larger."},
			}},
		{title: "Upload the brand guidelines", status: components.TaskDone,
			creator: "carol@globex.example", assignee: "dave@globex.example", due: -20,
			notes: []demoNote{
				{"dave@globex.example", "Uploaded the PDF and the logo files."},
			}},
		{title: "Confirm the invoice address", status: components.TaskInProgress,
			creator: "admin@jusb.example", assignee: "dave@globex.example", due: 2},
		{title: "List the people who need access to the portal",
			status:      components.TaskOpen,
			description: "Names and e-mail addresses; we send the invitations.",
			creator:     "admin@jusb.example", due: 14},
		{title: "Check the translated product pages", status: components.TaskOpen,
			creator: "carol@globex.example", assignee: "dave@globex.example", due: -8,
			notes: []demoNote{
				{"carol@globex.example", "The German ones first, please."},
			}},
		{title: "Plan the spring newsletter", status: components.TaskOpen,
			creator: "carol@globex.example", assignee: "carol@globex.example", noDue: true},
	}},
}

// seedTasks adds the demo tasks, their notes and their activity entries to each demo
// organization that has no tasks yet.
func seedTasks(ctx context.Context, q *db.Queries, w demoWorld) error {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for _, o := range demoTasks {
		org := w.orgs[o.slug].ID
		n, err := q.CountTasks(ctx, db.CountTasksParams{OrgID: org})
		if err != nil {
			return fmt.Errorf("count tasks of %s: %w", o.slug, err)
		}
		if n > 0 {
			continue
		}
		for _, t := range o.tasks {
			if err := seedTask(ctx, q, w, org, t, today); err != nil {
				return fmt.Errorf("task %q: %w", t.title, err)
			}
		}
	}
	return nil
}

// seedTask creates one task as its creator would have: created, assigned, moved to its
// status, then discussed, each step with the activity entry the portal writes for it.
func seedTask(ctx context.Context, q *db.Queries, w demoWorld, org db.OrgID, t demoTask,
	today time.Time) error {
	creator := w.users[t.creator]
	params := db.CreateTaskParams{OrgID: org, Title: t.title, Description: t.description,
		CreatedBy: creator}
	if t.assignee != "" {
		id := w.users[t.assignee]
		params.AssigneeID = &id
	}
	if !t.noDue {
		due := today.AddDate(0, 0, t.due)
		params.DueDate = &due
	}
	task, err := q.CreateTask(ctx, params)
	if err != nil {
		return err
	}

	record := func(actor uuid.UUID, action, targetType string, target uuid.UUID,
		summary string) error {
		return q.CreateActivity(ctx, db.CreateActivityParams{OrgID: org, ActorID: &actor,
			Action: action, TargetType: targetType, TargetID: &target, Summary: summary})
	}
	if err := record(creator, "task.created", "task", task.ID, t.title); err != nil {
		return err
	}
	if t.assignee != "" {
		name := demoUserName(t.assignee)
		if err := record(creator, "task.assigned", "task", task.ID,
			t.title+" to "+name); err != nil {
			return err
		}
	}
	if t.status != components.TaskOpen {
		if err := q.UpdateTaskStatus(ctx, db.UpdateTaskStatusParams{OrgID: org, ID: task.ID,
			Status: t.status}); err != nil {
			return err
		}
		actor := creator
		if t.assignee != "" {
			actor = w.users[t.assignee]
		}
		summary := fmt.Sprintf("%s: %s → %s", t.title,
			components.TaskStatusLabel(components.TaskOpen), components.TaskStatusLabel(t.status))
		if err := record(actor, "task.status_changed", "task", task.ID, summary); err != nil {
			return err
		}
	}

	for _, n := range t.notes {
		author := w.users[n.author]
		note, err := q.CreateTaskNote(ctx, db.CreateTaskNoteParams{OrgID: org,
			TaskID: task.ID, AuthorID: author, Body: n.body})
		if err != nil {
			return fmt.Errorf("note: %w", err)
		}
		if err := record(author, "task_note.added", "task_note", note.ID, t.title); err != nil {
			return err
		}
	}
	return nil
}

// demoUserName is the name of a demo user by e-mail address.
func demoUserName(email string) string {
	for _, o := range demoData {
		for _, u := range o.users {
			if u.email == email {
				return u.name
			}
		}
	}
	return email
}
