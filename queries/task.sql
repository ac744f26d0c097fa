-- name: ListTasks :many
-- ListTasks returns one page of the task list, filtered by status and assignee, after
-- the row whose sort key is after_* (the zero values start at the top). The order is
-- task_org_list_idx's: tasks not done before done ones, each by due date with undated
-- tasks last (as if due on 9999-12-31), then by creation and ID. Overdue is whether
-- the task is past its due date and not done.
SELECT t.id, t.title, t.status, t.assignee_id, t.due_date, t.created_at,
       u.name AS assignee_name,
       coalesce(t.status <> 'done' AND t.due_date < current_date, false)::boolean
           AS overdue
FROM task t
LEFT JOIN app_user u ON u.org_id = t.org_id AND u.id = t.assignee_id
WHERE t.org_id = @org_id
  AND (sqlc.narg('status')::text IS NULL OR t.status = sqlc.narg('status')::text)
  AND (NOT @by_assignee::boolean
       OR t.assignee_id IS NOT DISTINCT FROM sqlc.narg('assignee_id')::uuid)
  AND (t.status = 'done', COALESCE(t.due_date, DATE '9999-12-31'), t.created_at, t.id)
      > (@after_done::boolean, @after_due::date, @after_created::timestamptz,
         @after_id::uuid)
ORDER BY t.status = 'done', COALESCE(t.due_date, DATE '9999-12-31'), t.created_at, t.id
LIMIT @max_rows;

-- name: GetTask :one
-- GetTask returns a task with the names of its assignee and its creator (who may be
-- JusB staff).
SELECT t.id, t.title, t.description, t.status, t.assignee_id, t.due_date, t.created_at,
       t.updated_at, a.name AS assignee_name, a.is_active AS assignee_active,
       c.name AS creator_name,
       coalesce(t.status <> 'done' AND t.due_date < current_date, false)::boolean
           AS overdue
FROM task t
LEFT JOIN app_user a ON a.org_id = t.org_id AND a.id = t.assignee_id
LEFT JOIN app_user c ON c.id = t.created_by
WHERE t.org_id = @org_id AND t.id = @id;

-- name: LockTask :one
-- LockTask reads a task for a change and holds it until the transaction ends, so that
-- two changes at once apply one after the other.
SELECT id, title, description, status, assignee_id, due_date
FROM task
WHERE org_id = @org_id AND id = @id
FOR UPDATE;

-- name: CountTasks :one
SELECT count(*)
FROM task
WHERE org_id = @org_id;

-- name: CreateTask :one
-- CreateTask stamps the task with the statement's time rather than the transaction's,
-- so that tasks created in one transaction (demo content) keep their order.
INSERT INTO task (org_id, title, description, assignee_id, due_date, created_by,
                  created_at, updated_at)
VALUES (@org_id, @title, @description, @assignee_id, @due_date, @created_by,
        clock_timestamp(), clock_timestamp())
RETURNING id, title, status, assignee_id, due_date, created_at,
    coalesce(status <> 'done' AND due_date < current_date, false)::boolean AS overdue;

-- name: UpdateTaskDetails :exec
UPDATE task
SET title = @title, description = @description, due_date = @due_date, updated_at = now()
WHERE org_id = @org_id AND id = @id;

-- name: UpdateTaskStatus :exec
UPDATE task
SET status = @status, updated_at = now()
WHERE org_id = @org_id AND id = @id;

-- name: UpdateTaskAssignee :exec
UPDATE task
SET assignee_id = @assignee_id, updated_at = now()
WHERE org_id = @org_id AND id = @id;

-- name: ListAssignableMembers :many
-- ListAssignableMembers returns the members a task may be assigned to: the
-- organization's active users, by name.
SELECT id, name
FROM app_user
WHERE org_id = @org_id AND is_active
ORDER BY name, id;

-- name: LockAssignee :one
-- LockAssignee reads a would-be assignee in the organization and keeps them from being
-- deactivated until the transaction ends. Another organization's user is not found.
SELECT id, name, is_active
FROM app_user
WHERE org_id = @org_id AND id = @id
FOR SHARE;
