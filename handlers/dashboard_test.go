package handlers

import (
	"context"
	"strings"
	"testing"
)

// TestDashboardShowsWhatNeedsAttention arranges tasks, unread messages and files in
// Acme (and the same in Globex) and reads Bob's dashboard.
func TestDashboardShowsWhatNeedsAttention(t *testing.T) {
	env := newTestEnv(t, Config{})
	conn := env.staffConn()
	ctx := context.Background()
	f := env.fix
	arrange := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO task (org_id, title, status, assignee_id, due_date, created_by) VALUES
			($1, 'Alice''s task', 'open', $2, current_date + 3, $2),
			($1, 'Bob''s late task', 'in_progress', $3, current_date - 2, $2),
			($1, 'Finished task', 'done', $3, NULL, $2)`,
			[]any{f.Acme.ID, f.Alice.ID, f.Bob.ID}},
		{`INSERT INTO task (org_id, title, created_by) VALUES ($1, 'Globex task', $2)`,
			[]any{f.Globex.ID, f.Carol.ID}},
		{`WITH th AS (INSERT INTO thread (org_id, title, created_by)
			VALUES ($1, 'Launch plan', $2) RETURNING id)
			INSERT INTO message (org_id, thread_id, author_id, body)
			SELECT $1, th.id, $2, 'Hello ' || n FROM th, generate_series(1, 3) n`,
			[]any{f.Acme.ID, f.Alice.ID}},
		{`INSERT INTO file (org_id, uploader_id, filename, storage_key, mime, size, sha256)
			VALUES ($1, $2, 'brief.pdf', 'k1', 'application/pdf', 2048, sha256('x'))`,
			[]any{f.Acme.ID, f.Alice.ID}},
	}
	for _, a := range arrange {
		if _, err := conn.Exec(ctx, a.sql, a.args...); err != nil {
			t.Fatal(err)
		}
	}

	page := env.signedIn("bob@acme.example").get("/o/acme")
	doc := parseHTML(t, page.body)

	tasks := doc.Find(`[data-testid=dashboard-tasks] li`)
	if tasks.Length() != 2 {
		t.Errorf("open tasks shown: %d, want 2 (done and Globex's left out)", tasks.Length())
	}
	first := tasks.First()
	if !strings.Contains(first.Text(), "Bob's late task") ||
		first.Find(`[data-testid=mine]`).Length() != 1 ||
		first.Find(`[data-testid=overdue]`).Length() != 1 {
		t.Errorf("first task = %q, want Bob's own, marked overdue", first.Text())
	}
	threads := doc.Find(`[data-testid=dashboard-threads] li`)
	if threads.Length() != 1 || !strings.Contains(threads.Text(), "Launch plan") ||
		!strings.Contains(threads.Text(), "3") {
		t.Errorf("unread threads = %q, want Launch plan with 3", threads.Text())
	}
	if files := doc.Find(`[data-testid=dashboard-files]`).Text(); !strings.Contains(files,
		"brief.pdf") || !strings.Contains(files, "2 KiB") {
		t.Errorf("recent files = %q", files)
	}

	// Alice wrote the messages herself: nothing is unread for her.
	alice := env.signedIn("alice@acme.example").get("/o/acme")
	if strings.Contains(alice.body, `data-testid="dashboard-threads"`) {
		t.Error("Alice's own messages show as unread for her")
	}
}

// TestDashboardBudget checks the dashboard's round trips with each widget growing.
func TestDashboardBudget(t *testing.T) {
	tests := []struct {
		name string
		grow func(t testing.TB, env *testEnv, n int)
	}{
		{"activity", addActivity},
		{"tasks", func(t testing.TB, env *testEnv, n int) {
			env.exec(t, `INSERT INTO task (org_id, title, assignee_id, created_by)
				SELECT $1, 'Task ' || i, $2, $2 FROM generate_series(1, $3) i`,
				env.fix.Acme.ID, env.fix.Bob.ID, n)
		}},
		{"unread threads", func(t testing.TB, env *testEnv, n int) {
			env.exec(t, `WITH th AS (INSERT INTO thread (org_id, title, created_by)
				SELECT $1, 'Thread ' || i, $2 FROM generate_series(1, $3) i RETURNING id)
				INSERT INTO message (org_id, thread_id, author_id, body)
				SELECT $1, th.id, $2, 'hi' FROM th`, env.fix.Acme.ID, env.fix.Bob.ID, n)
		}},
		{"files", func(t testing.TB, env *testEnv, n int) {
			env.exec(t, `INSERT INTO file (org_id, uploader_id, filename, storage_key, mime,
				size, sha256) SELECT $1, $2, 'f' || i, gen_random_uuid()::text, 'text/plain', 1,
				sha256('x') FROM generate_series(1, $3) i`, env.fix.Acme.ID, env.fix.Bob.ID, n)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, Config{})
			checkBudget(t, env, "alice@acme.example", "/o/acme", 2, tt.grow)
		})
	}
}
