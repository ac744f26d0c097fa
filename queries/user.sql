-- name: GetUserByEmailGlobal :one
-- Sign-in looks the user up before their organization is known; it runs only inside
-- Store.ForSignIn, whose row-level security shows just the row with this address.
SELECT u.id, u.org_id, u.email, u.name, u.password_hash, u.role, u.is_active,
       u.session_version, o.slug AS org_slug, o.archived_at AS org_archived_at
FROM app_user u
JOIN organization o ON o.id = u.org_id
WHERE u.email = @email;

-- name: GetMember :one
-- GetMember loads the signed-in user for each request, with their organization and
-- whether they sign in with a second factor.
SELECT u.id, u.org_id, u.email, u.name, u.role, u.is_active, u.session_version,
       o.slug AS org_slug, o.name AS org_name, o.is_staff AS org_is_staff,
       o.archived_at AS org_archived_at,
       EXISTS (SELECT 1 FROM user_totp t WHERE t.org_id = u.org_id AND t.user_id = u.id)
           AS two_factor
FROM app_user u
JOIN organization o ON o.id = u.org_id
WHERE u.org_id = @org_id AND u.id = @id;

-- name: GetUserByEmailWithHash :one
SELECT id, org_id, email, name, role, is_active, password_hash
FROM app_user
WHERE org_id = @org_id AND email = @email;

-- name: CreateUser :one
INSERT INTO app_user (org_id, email, name, password_hash, role)
VALUES (@org_id, @email, @name, @password_hash, @role)
RETURNING id, org_id, email, name, role, is_active, created_at;

-- name: UpdateUserPassword :exec
-- UpdateUserPassword also raises the session version, which ends the user's sessions.
UPDATE app_user
SET password_hash = @password_hash, session_version = session_version + 1
WHERE org_id = @org_id AND id = @id;

-- name: UpdateUserProfile :exec
UPDATE app_user
SET name = @name, role = @role, is_active = true
WHERE org_id = @org_id AND id = @id;

-- name: SetUserActive :exec
-- SetUserActive also raises the session version: a deactivated user's sessions end.
UPDATE app_user
SET is_active = @is_active, session_version = session_version + 1
WHERE org_id = @org_id AND id = @id;

-- name: MarkUserSignedIn :exec
UPDATE app_user
SET last_sign_in_at = now()
WHERE org_id = @org_id AND id = @id;

-- name: EndOrganizationSessions :exec
-- EndOrganizationSessions raises the session version of every member of the
-- organization, which ends all their sessions at their next request (archiving).
UPDATE app_user
SET session_version = session_version + 1
WHERE org_id = @org_id;

-- name: GetSignInUser :one
-- GetSignInUser reads the user of a half-finished sign-in (password right, second
-- factor to come), with what their sign-in depends on.
SELECT u.id, u.org_id, u.email, u.name, u.password_hash, u.role, u.is_active,
       u.session_version, o.slug AS org_slug, o.archived_at AS org_archived_at
FROM app_user u
JOIN organization o ON o.id = u.org_id
WHERE u.org_id = @org_id AND u.id = @id;

-- name: HasTOTP :one
SELECT EXISTS (SELECT 1 FROM user_totp WHERE org_id = @org_id AND user_id = @user_id);

-- name: ChangeUserPassword :one
-- ChangeUserPassword sets a new hash and raises the session version, which ends every
-- session of the user; the caller moves its own session to the returned version.
UPDATE app_user
SET password_hash = @password_hash, session_version = session_version + 1
WHERE org_id = @org_id AND id = @id
RETURNING session_version;
