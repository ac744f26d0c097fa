-- An organization's members, as the people page and the staff's user list manage
-- them. (user.sql holds what sign-in and the session need.)

-- name: ListMembers :many
-- ListMembers returns the organization's people, active ones first.
SELECT u.id, u.email, u.name, u.role, u.is_active, u.last_sign_in_at, u.created_at
FROM app_user u
WHERE u.org_id = @org_id
ORDER BY u.is_active DESC, u.name, u.id;

-- name: LockActiveAdmins :many
-- LockActiveAdmins locks the organization's active members with the given role (its
-- administrators), in one order, so that two changes that each leave one of the last
-- two administrators cannot both pass: the second waits and then counts one.
SELECT u.id
FROM app_user u
WHERE u.org_id = @org_id AND u.role = @role AND u.is_active
ORDER BY u.id
FOR UPDATE;

-- name: LockMember :one
SELECT u.id, u.email, u.name, u.role, u.is_active, u.last_sign_in_at, u.created_at
FROM app_user u
WHERE u.org_id = @org_id AND u.id = @id
FOR UPDATE;

-- name: UpdateMemberRole :one
UPDATE app_user
SET role = @role
WHERE org_id = @org_id AND id = @id
RETURNING id, email, name, role, is_active, last_sign_in_at, created_at;

-- name: UpdateMemberActive :one
-- UpdateMemberActive also raises the session version: a deactivated member's sessions
-- end at their next request.
UPDATE app_user
SET is_active = @is_active, session_version = session_version + 1
WHERE org_id = @org_id AND id = @id
RETURNING id, email, name, role, is_active, last_sign_in_at, created_at;

-- name: CreateInvitedUser :one
-- CreateInvitedUser adds the person who accepted an invitation, in the invitation's
-- organization (the transaction is bound to it).
INSERT INTO app_user (org_id, email, name, password_hash, role)
VALUES (@org_id, @email, @name, @password_hash, @role)
RETURNING id, org_id, email, name, role, session_version;

-- name: GetUserOrgGlobal :one
-- GetUserOrgGlobal finds the organization of a user, for staff acting on the user
-- from the list of all users; the change itself then runs bound to that organization.
SELECT u.org_id, o.slug AS org_slug
FROM app_user u
JOIN organization o ON o.id = u.org_id
WHERE u.id = @id;

-- name: ListUsersGlobal :many
-- ListUsersGlobal is the staff's list of every user, by e-mail address, a page at a
-- time after the address @after. Every filter is optional: '' or NULL leaves it out.
-- @search is an ILIKE pattern's inside, its wildcards escaped by the caller.
SELECT u.id, u.org_id, u.email, u.name, u.role, u.is_active, u.last_sign_in_at,
       o.name AS org_name, o.slug AS org_slug, o.is_staff AS org_is_staff
FROM app_user u
JOIN organization o ON o.id = u.org_id
WHERE (@org::text = '' OR o.slug = @org)
  AND (@role::text = '' OR u.role = @role)
  AND (sqlc.narg(is_active)::boolean IS NULL OR u.is_active = sqlc.narg(is_active))
  AND (@search::text = ''
       OR u.email ILIKE '%' || @search || '%'
       OR u.name ILIKE '%' || @search || '%')
  AND u.email > @after::text
ORDER BY u.email
LIMIT @max_rows;

-- name: GetUserGlobal :one
-- GetUserGlobal is one row of the staff's user list, and whether its organization is
-- archived (then read-only).
SELECT u.id, u.org_id, u.email, u.name, u.role, u.is_active, u.last_sign_in_at,
       o.name AS org_name, o.slug AS org_slug, o.is_staff AS org_is_staff,
       o.archived_at AS org_archived_at
FROM app_user u
JOIN organization o ON o.id = u.org_id
WHERE u.id = @id;
