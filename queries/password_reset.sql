-- name: CreatePasswordReset :one
-- CreatePasswordReset starts a reset with a placeholder hash that no token matches;
-- the e-mail's composer replaces it with the hash of the token it sends.
INSERT INTO password_reset (org_id, user_id, token_hash, expires_at)
VALUES (@org_id, @user_id, @token_hash, now() + interval '1 hour')
RETURNING id;

-- name: ExpirePasswordResets :exec
-- ExpirePasswordResets ends the user's earlier resets, so only the newest link works.
UPDATE password_reset
SET expires_at = least(expires_at, now())
WHERE org_id = @org_id AND user_id = @user_id AND used_at IS NULL;

-- name: SetPasswordResetToken :one
-- SetPasswordResetToken gives a pending reset the hash of a freshly issued token and
-- returns whom to send it to.
UPDATE password_reset r
SET token_hash = @token_hash
FROM app_user u
WHERE r.org_id = @org_id AND r.id = @id AND r.used_at IS NULL AND r.expires_at > now()
  AND u.org_id = r.org_id AND u.id = r.user_id
RETURNING u.email, u.name, r.expires_at;

-- name: GetPasswordResetByTokenGlobal :one
-- GetPasswordResetByTokenGlobal finds a reset by its token before the organization is
-- known; it runs only inside Store.ForPasswordReset, whose row-level security shows
-- just the reset with this hash and its user.
SELECT r.id, r.org_id, r.user_id, r.expires_at, r.used_at, u.email, u.name,
       u.is_active, o.archived_at AS org_archived_at
FROM password_reset r
JOIN app_user u ON u.org_id = r.org_id AND u.id = r.user_id
JOIN organization o ON o.id = r.org_id
WHERE r.token_hash = @token_hash;

-- name: UsePasswordReset :one
-- UsePasswordReset claims a reset once: a second use, or one after expiry, finds no row.
UPDATE password_reset
SET used_at = now()
WHERE org_id = @org_id AND id = @id AND token_hash = @token_hash
  AND used_at IS NULL AND expires_at > now()
RETURNING user_id;
