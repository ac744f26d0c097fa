-- name: CreateInvitation :one
-- The token_hash set here is a placeholder that no link carries: the real token is
-- issued, and its hash stored, when the invitation's mail is composed.
INSERT INTO invitation (org_id, email, role, token_hash, invited_by, expires_at)
VALUES (@org_id, @email, @role, @token_hash, @invited_by, @expires_at)
RETURNING id;

-- name: GetInvitationForMail :one
SELECT i.id, i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at,
       o.name AS org_name, u.name AS inviter_name
FROM invitation i
JOIN organization o ON o.id = i.org_id
LEFT JOIN app_user u ON u.id = i.invited_by
WHERE i.org_id = @org_id AND i.id = @id;

-- name: SetInvitationToken :exec
UPDATE invitation SET token_hash = @token_hash WHERE org_id = @org_id AND id = @id;
