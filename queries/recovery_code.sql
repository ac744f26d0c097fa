-- name: CreateRecoveryCode :exec
INSERT INTO recovery_code (org_id, user_id, code_hash)
VALUES (@org_id, @user_id, @code_hash);

-- name: DeleteRecoveryCodes :exec
DELETE FROM recovery_code
WHERE org_id = @org_id AND user_id = @user_id;

-- name: UseRecoveryCode :execrows
UPDATE recovery_code
SET used_at = now()
WHERE org_id = @org_id AND user_id = @user_id AND code_hash = @code_hash
  AND used_at IS NULL;

-- name: CountRecoveryCodesLeft :one
SELECT count(*)
FROM recovery_code
WHERE org_id = @org_id AND user_id = @user_id AND used_at IS NULL;
