-- name: QueueMail :exec
INSERT INTO outbox (org_id, kind, ref_id, to_address)
VALUES (@org_id, @kind, @ref_id, @to_address);

-- name: TakeDueMailGlobal :many
-- TakeDueMailGlobal leases up to @max_rows due mails to one worker: it counts the
-- attempt and moves next_attempt_at past the send's timeout, so that other workers skip
-- the rows now and retry them later if this worker never reports back.
UPDATE outbox o
SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => sqlc.arg(lease_seconds)::int)
WHERE o.id IN (
    SELECT d.id FROM outbox d
    WHERE d.sent_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= now()
    ORDER BY d.next_attempt_at
    LIMIT @max_rows
    FOR UPDATE SKIP LOCKED)
RETURNING o.id, o.org_id, o.kind, o.ref_id, o.to_address, o.attempts;

-- name: MarkMailSentGlobal :exec
UPDATE outbox SET sent_at = now(), last_error = NULL WHERE id = @id;

-- name: MarkMailRetryGlobal :exec
UPDATE outbox SET next_attempt_at = now() + make_interval(secs => sqlc.arg(wait_seconds)::float8), last_error = @last_error
WHERE id = @id;

-- name: MarkMailFailedGlobal :exec
UPDATE outbox SET failed_at = now(), last_error = @last_error WHERE id = @id;

-- name: NextMailDueGlobal :one
-- NextMailDueGlobal says when the worker next has something to do.
SELECT next_attempt_at FROM outbox
WHERE sent_at IS NULL AND failed_at IS NULL
ORDER BY next_attempt_at
LIMIT 1;

-- name: LatestMailFor :one
-- LatestMailFor is the delivery state of the last mail queued about ref_id.
SELECT id, attempts, sent_at, failed_at, last_error, created_at FROM outbox
WHERE org_id = @org_id AND ref_id = @ref_id
ORDER BY created_at DESC
LIMIT 1;
