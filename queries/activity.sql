-- name: CreateActivity :exec
INSERT INTO activity (org_id, actor_id, action, target_type, target_id, summary)
VALUES (@org_id, @actor_id, @action, @target_type, @target_id, @summary);

-- name: ListRecentActivity :many
-- ListRecentActivity returns the newest entries with their actor's name.
SELECT a.id, a.action, a.target_type, a.target_id, a.summary, a.created_at,
       u.name AS actor_name
FROM activity a
LEFT JOIN app_user u ON u.id = a.actor_id
WHERE a.org_id = @org_id
ORDER BY a.created_at DESC, a.id DESC
LIMIT @max_rows;
