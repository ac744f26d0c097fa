-- name: MarkThreadRead :exec
-- MarkThreadRead records that user_id has read the thread up to now; it never moves
-- the mark back.
INSERT INTO thread_read (org_id, thread_id, user_id, last_read_at)
VALUES (@org_id, @thread_id, @user_id, now())
ON CONFLICT (org_id, thread_id, user_id)
DO UPDATE SET last_read_at = greatest(thread_read.last_read_at, excluded.last_read_at);

-- name: GetLastRead :one
-- GetLastRead returns when user_id last read the thread, or the Unix epoch if never.
SELECT coalesce((
    SELECT last_read_at FROM thread_read
    WHERE org_id = @org_id AND thread_id = @thread_id AND user_id = @user_id
), to_timestamp(0))::timestamptz AS last_read_at;
