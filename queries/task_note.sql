-- Notes: the running list of comments on a task.

-- name: ListTaskNotes :many
-- ListTaskNotes returns a task's notes before the given one, newest first, with their
-- authors' names (an author may be JusB staff).
SELECT n.id, n.body, n.created_at, u.name AS author_name
FROM task_note n
LEFT JOIN app_user u ON u.id = n.author_id
WHERE n.org_id = @org_id AND n.task_id = @task_id
  AND (n.created_at, n.id) < (@before_created::timestamptz, @before_id::uuid)
ORDER BY n.created_at DESC, n.id DESC
LIMIT @max_rows;

-- name: CreateTaskNote :one
-- CreateTaskNote stamps the note with the statement's time rather than the
-- transaction's, so that notes added in one transaction (demo content) keep their order.
INSERT INTO task_note (org_id, task_id, author_id, body, created_at)
VALUES (@org_id, @task_id, @author_id, @body, clock_timestamp())
RETURNING id, body, created_at;
