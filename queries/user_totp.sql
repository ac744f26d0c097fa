-- name: GetUserTOTP :one
SELECT secret, last_step, enabled_at
FROM user_totp
WHERE org_id = @org_id AND user_id = @user_id;

-- name: EnableUserTOTP :exec
-- EnableUserTOTP records the secret the user has just proved with a code of step
-- last_step; that code cannot then be used to sign in.
INSERT INTO user_totp (org_id, user_id, secret, last_step)
VALUES (@org_id, @user_id, @secret, @last_step);

-- name: UseTOTPStep :execrows
-- UseTOTPStep takes the step of an accepted code, once: a code of the same step or an
-- earlier one changes no row.
UPDATE user_totp
SET last_step = @step
WHERE org_id = @org_id AND user_id = @user_id
  AND (last_step IS NULL OR last_step < @step);

-- name: DisableUserTOTP :execrows
DELETE FROM user_totp
WHERE org_id = @org_id AND user_id = @user_id;

-- name: ListTOTPKeysGlobal :many
-- ListTOTPKeysGlobal returns the stored TOTP keys of every organization, for the pass
-- at start that seals those stored in base32 and seals again those sealed under an
-- older TOTP_KEY: on the staff connection.
SELECT org_id, user_id, secret
FROM user_totp;

-- name: SealTOTPKeyGlobal :execrows
-- SealTOTPKeyGlobal replaces a stored key with its form sealed under the current
-- TOTP_KEY, if it is still the one read (on the staff connection).
UPDATE user_totp
SET secret = @sealed
WHERE org_id = @org_id AND user_id = @user_id AND secret = @stored;
