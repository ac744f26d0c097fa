-- name: CreateThread :one
INSERT INTO thread (org_id, title, created_by)
VALUES (@org_id, @title, @created_by)
RETURNING id, title, created_at, last_message_at;

-- name: GetThread :one
SELECT id, title, created_by, created_at, last_message_at
FROM thread
WHERE org_id = @org_id AND id = @id;

-- name: TouchThread :one
-- TouchThread marks a message posted in the thread now, the time its new message gets,
-- and returns the thread's title. It also locks the thread's row until the posting
-- transaction ends.
UPDATE thread
SET last_message_at = greatest(last_message_at, now())
WHERE org_id = @org_id AND id = @id
RETURNING title;

-- name: ListThreads :many
-- ListThreads returns a page of threads, the most recently active first, starting
-- after the cursor (before_at, before_id). Each row carries its last message with its
-- author (empty for a thread without messages) and the number of messages by others
-- that user_id has not read, counted up to 100. The LATERAL joins run per thread of
-- the page inside this one statement. The last message's excerpt is the one stored with
-- it; for a message stored without one, last_message_start is the start of its body to
-- make one from.
SELECT t.id, t.title, t.last_message_at,
       coalesce(lm.excerpt, '')::text AS last_message_excerpt,
       coalesce(lm.start, '')::text AS last_message_start,
       coalesce(lm.author_name, '')::text AS last_message_author,
       unread.n AS unread_count
FROM thread t
LEFT JOIN LATERAL (
    SELECT m.excerpt, CASE WHEN m.excerpt = '' THEN left(m.body, 300) END AS start,
           u.name AS author_name
    FROM message m
    JOIN app_user u ON u.id = m.author_id
    WHERE m.org_id = t.org_id AND m.thread_id = t.id
    ORDER BY m.created_at DESC, m.id DESC
    LIMIT 1
) lm ON true
LEFT JOIN thread_read r
    ON r.org_id = t.org_id AND r.thread_id = t.id AND r.user_id = @user_id
CROSS JOIN LATERAL (
    SELECT count(*)::integer AS n
    FROM (
        SELECT 1
        FROM message m
        WHERE m.org_id = t.org_id AND m.thread_id = t.id
          AND m.created_at > coalesce(r.last_read_at, '-infinity'::timestamptz)
          AND m.author_id <> @user_id
        LIMIT 100
    ) unread_rows
) unread
WHERE t.org_id = @org_id
  AND (t.last_message_at, t.id) < (@before_at::timestamptz, @before_id::uuid)
ORDER BY t.last_message_at DESC, t.id DESC
LIMIT @max_rows;

-- name: HasThreads :one
SELECT EXISTS (SELECT 1 FROM thread WHERE org_id = @org_id)::boolean;

-- name: CreateThreadAt :one
-- CreateThreadAt creates a thread with its history's times given, for the demo data.
INSERT INTO thread (org_id, title, created_by, created_at, last_message_at)
VALUES (@org_id, @title, @created_by, @created_at, @last_message_at)
RETURNING id;
