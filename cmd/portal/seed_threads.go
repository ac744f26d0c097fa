package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jusb/portal/db"
	"github.com/jusb/portal/handlers"
)

func init() {
	demoContent = append(demoContent, demoSeeder{name: "threads", fn: seedThreads})
}

// demoThread is one conversation of the demo: who started it, and its messages.
type demoThread struct {
	org, title string
	messages   []demoMessage
}

// demoMessage is one message: its author, how long ago it was posted, its Markdown,
// and the names of demo files attached to it.
type demoMessage struct {
	author string
	ago    time.Duration
	body   string
	files  []string
}

const staffEmail = "admin@jusb.example"

var demoThreads = []demoThread{
	{"acme", "Kick-off and statement of work", []demoMessage{
		{"alice@acme.example", 74 * time.Hour, "Hello JusB team,\n\nthe signed **statement " +
			"of work** is attached. Could you confirm the kick-off date?", []string{
			"Statement of work 2027.pdf"}},
		{staffEmail, 73 * time.Hour, "Thanks Alice! Kick-off works for us on " +
			"**Monday at 10:00**. Agenda:\n\n1. Scope walkthrough\n2. Timeline\n" +
			"3. Who approves what", nil},
		{"bob@acme.example", 70 * time.Hour, "I'll join too. I added the notes template " +
			"to the files area.", []string{"Kick-off meeting notes.txt"}},
		{"alice@acme.example", 26 * time.Hour, "Notes are in. _Next meeting in two weeks._",
			nil},
	}},
	{"acme", "Budget for 2027", []demoMessage{
		{"bob@acme.example", 50 * time.Hour, "Here is the draft budget. The support lines " +
			"are the same each quarter; is that right?", []string{"Budget 2027.csv"}},
		{staffEmail, 49 * time.Hour, "Yes, support is a flat fee. Licences are billed " +
			"in Q1 only:\n\n| Item | Quarter |\n| --- | --- |\n| Licences | Q1 |\n" +
			"| Support | Q1–Q4 |", nil},
		{"bob@acme.example", 3 * time.Hour, "Perfect, ~~waiting for finance~~ approved by " +
			"finance. Thanks!", nil},
	}},
	{"acme", "New office floor plan", []demoMessage{
		{"alice@acme.example", 8 * time.Hour, "We move in March. Which rooms need network " +
			"points? See the plan in the files area.", []string{"Office floor plan.png"}},
		{staffEmail, 90 * time.Minute, "Every desk cluster, plus the meeting room. " +
			"Checklist:\n\n- [x] Floor plan received\n- [ ] Cabling quote\n" +
			"- [ ] Installation date", nil},
	}},
	{"globex", "Service agreement", []demoMessage{
		{"carol@globex.example", 60 * time.Hour, "The signed agreement is attached. " +
			"Response time is **one business day**, as discussed.",
			[]string{"Service agreement.pdf"}},
		{staffEmail, 59 * time.Hour, "Received, thank you Carol. Countersigned copy " +
			"follows this week.", nil},
		{"dave@globex.example", 30 * time.Hour, "Does the response time include " +
			"weekends?", nil},
		{staffEmail, 29 * time.Hour, "No: business days are Monday to Friday. Urgent " +
			"issues go to the phone line in the agreement (section 4).", nil},
	}},
	{"globex", "Portal requirements", []demoMessage{
		{"carol@globex.example", 20 * time.Hour, "Our requirements list is in the files " +
			"area. Top priority: the **monthly report of open tasks**.",
			[]string{"Requirements.txt"}},
		{"dave@globex.example", 5 * time.Hour, "Adding one: invoices as PDF, please. " +
			"Example: `INV-2027-001.pdf`.", nil},
		{staffEmail, 45 * time.Minute, "Both noted. See the [task list](/o/globex/tasks) " +
			"for where they stand.", nil},
	}},
}

// seedThreads adds the demo conversations to an organization that has no thread yet,
// with the demo files attached where the files seeder has stored them.
func seedThreads(ctx context.Context, q *db.Queries, w demoWorld) error {
	now := time.Now()
	done := map[string]bool{}
	for _, t := range demoThreads {
		org, ok := w.orgs[t.org]
		if !ok {
			return fmt.Errorf("no demo organization %q", t.org)
		}
		if _, seen := done[t.org]; !seen {
			has, err := q.HasThreads(ctx, db.HasThreadsParams{OrgID: org.ID})
			if err != nil {
				return fmt.Errorf("look for threads of %s: %w", t.org, err)
			}
			done[t.org] = has
		}
		if done[t.org] {
			continue
		}
		if err := seedThread(ctx, q, w, org.ID, t, now); err != nil {
			return fmt.Errorf("thread %q: %w", t.title, err)
		}
	}
	return nil
}

func seedThread(ctx context.Context, q *db.Queries, w demoWorld, org db.OrgID,
	t demoThread, now time.Time) error {
	files, err := demoFileIDs(ctx, q, org)
	if err != nil {
		return err
	}
	first, last := t.messages[0], t.messages[len(t.messages)-1]
	starter := w.users[first.author]
	thread, err := q.CreateThreadAt(ctx, db.CreateThreadAtParams{OrgID: org, Title: t.title,
		CreatedBy: starter, CreatedAt: now.Add(-first.ago),
		LastMessageAt: now.Add(-last.ago)})
	if err != nil {
		return err
	}
	err = q.CreateActivity(ctx, db.CreateActivityParams{OrgID: org, ActorID: &starter,
		Action: "thread.created", TargetType: "thread", TargetID: &thread, Summary: t.title})
	if err != nil {
		return err
	}

	for _, m := range t.messages {
		author := w.users[m.author]
		html, excerpt, err := handlers.RenderMessage(m.body)
		if err != nil {
			return err
		}
		id, err := q.CreateMessageAt(ctx, db.CreateMessageAtParams{OrgID: org,
			ThreadID: thread, AuthorID: author, Body: m.body, BodyHtml: html,
			Excerpt: excerpt, CreatedAt: now.Add(-m.ago)})
		if err != nil {
			return err
		}
		for _, name := range m.files {
			if file, ok := files[name]; ok {
				if err := q.AttachFile(ctx, db.AttachFileParams{OrgID: org, MessageID: id,
					FileID: file}); err != nil {
					return fmt.Errorf("attach %s: %w", name, err)
				}
			}
		}
		err = q.CreateActivity(ctx, db.CreateActivityParams{OrgID: org, ActorID: &author,
			Action: "message.posted", TargetType: "message", TargetID: &id, Summary: t.title})
		if err != nil {
			return err
		}
	}
	return nil
}

// demoFileIDs returns the organization's files by name.
func demoFileIDs(ctx context.Context, q *db.Queries, org db.OrgID) (map[string]uuid.UUID,
	error) {
	rows, err := q.ListFiles(ctx, db.ListFilesParams{OrgID: org, MaxRows: 100})
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	ids := make(map[string]uuid.UUID, len(rows))
	for _, f := range rows {
		ids[f.Filename] = f.ID
	}
	return ids, nil
}
