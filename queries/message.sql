-- name: CreateMessage :one
INSERT INTO message (org_id, thread_id, author_id, body, body_html, excerpt)
VALUES (@org_id, @thread_id, @author_id, @body, @body_html, @excerpt)
RETURNING id, created_at;

-- name: ListMessagesBefore :many
-- ListMessagesBefore returns up to max_rows messages of a thread that come before the
-- cursor (before_at, before_id), the newest first, with their authors and attachments.
SELECT m.id, m.author_id, u.name AS author_name, m.body, m.body_html, m.created_at,
       att.files AS attachments
FROM message m
JOIN app_user u ON u.id = m.author_id
CROSS JOIN LATERAL (
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', f.id, 'filename', f.filename,
               'size', f.size, 'mime', f.mime) ORDER BY f.filename, f.id), '[]')::jsonb AS files
    FROM message_attachment a
    JOIN file f ON f.org_id = a.org_id AND f.id = a.file_id AND f.deleted_at IS NULL
    WHERE a.org_id = m.org_id AND a.message_id = m.id
) att
WHERE m.org_id = @org_id AND m.thread_id = @thread_id
  AND (m.created_at, m.id) < (@before_at::timestamptz, @before_id::uuid)
ORDER BY m.created_at DESC, m.id DESC
LIMIT @max_rows;

-- name: ListMessagesAfter :many
-- ListMessagesAfter returns up to max_rows messages of a thread that come after the
-- cursor (after_at, after_id), the oldest first: what a live stream missed.
SELECT m.id, m.author_id, u.name AS author_name, m.body, m.body_html, m.created_at,
       att.files AS attachments
FROM message m
JOIN app_user u ON u.id = m.author_id
CROSS JOIN LATERAL (
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', f.id, 'filename', f.filename,
               'size', f.size, 'mime', f.mime) ORDER BY f.filename, f.id), '[]')::jsonb AS files
    FROM message_attachment a
    JOIN file f ON f.org_id = a.org_id AND f.id = a.file_id AND f.deleted_at IS NULL
    WHERE a.org_id = m.org_id AND a.message_id = m.id
) att
WHERE m.org_id = @org_id AND m.thread_id = @thread_id
  AND (m.created_at, m.id) > (@after_at::timestamptz, @after_id::uuid)
ORDER BY m.created_at, m.id
LIMIT @max_rows;

-- name: GetMessage :one
-- GetMessage returns one message of a thread with its author and attachments.
SELECT m.id, m.author_id, u.name AS author_name, m.body, m.body_html, m.created_at,
       att.files AS attachments
FROM message m
JOIN app_user u ON u.id = m.author_id
CROSS JOIN LATERAL (
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', f.id, 'filename', f.filename,
               'size', f.size, 'mime', f.mime) ORDER BY f.filename, f.id), '[]')::jsonb AS files
    FROM message_attachment a
    JOIN file f ON f.org_id = a.org_id AND f.id = a.file_id AND f.deleted_at IS NULL
    WHERE a.org_id = m.org_id AND a.message_id = m.id
) att
WHERE m.org_id = @org_id AND m.thread_id = @thread_id AND m.id = @id;

-- name: AttachFile :exec
INSERT INTO message_attachment (org_id, message_id, file_id)
VALUES (@org_id, @message_id, @file_id);

-- name: CreateMessageAt :one
-- CreateMessageAt stores a message with its time given, for the demo data.
INSERT INTO message (org_id, thread_id, author_id, body, body_html, excerpt, created_at)
VALUES (@org_id, @thread_id, @author_id, @body, @body_html, @excerpt, @created_at)
RETURNING id;
