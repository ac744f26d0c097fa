-- The dashboard's widgets. db/dashboard.go sends them in one round trip.

-- name: ListDashboardTasks :many
-- ListDashboardTasks returns open tasks, the viewer's first, then by due date.
SELECT t.id, t.title, t.status, t.due_date, u.name AS assignee_name,
       coalesce(t.assignee_id = @viewer_id::uuid, false)::boolean AS mine,
       coalesce(t.due_date < current_date, false)::boolean AS overdue
FROM task t
LEFT JOIN app_user u ON u.id = t.assignee_id
WHERE t.org_id = @org_id AND t.status <> 'done'
ORDER BY mine DESC, t.due_date NULLS LAST, t.created_at, t.id
LIMIT @max_rows;

-- name: ListDashboardUnreadThreads :many
-- ListDashboardUnreadThreads returns the threads with messages from others that the
-- viewer has not read, newest first, with how many.
SELECT th.id, th.title, th.last_message_at, unread.messages AS unread
FROM thread th
LEFT JOIN thread_read tr
    ON tr.org_id = th.org_id AND tr.thread_id = th.id AND tr.user_id = @viewer_id::uuid
CROSS JOIN LATERAL (
    SELECT count(*) AS messages
    FROM message m
    WHERE m.org_id = th.org_id AND m.thread_id = th.id AND m.author_id <> @viewer_id::uuid
      AND m.created_at > coalesce(tr.last_read_at, '-infinity'::timestamptz)
) unread
WHERE th.org_id = @org_id
  AND th.last_message_at > coalesce(tr.last_read_at, '-infinity'::timestamptz)
  AND unread.messages > 0
ORDER BY th.last_message_at DESC, th.id DESC
LIMIT @max_rows;

-- name: ListDashboardFiles :many
-- ListDashboardFiles returns the newest files with their uploader's name.
SELECT f.id, f.filename, f.size, f.created_at, u.name AS uploader_name
FROM file f
JOIN app_user u ON u.id = f.uploader_id
WHERE f.org_id = @org_id AND f.deleted_at IS NULL
ORDER BY f.created_at DESC, f.id DESC
LIMIT @max_rows;
