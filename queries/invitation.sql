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

-- name: ListPendingInvitations :many
-- ListPendingInvitations returns the invitations neither accepted nor revoked, newest
-- first; expired ones too, so that they can be resent or revoked.
SELECT i.id, i.email, i.role, i.expires_at, i.created_at,
       (i.expires_at <= now())::boolean AS expired,
       coalesce(u.name, '')::text AS invited_by_name
FROM invitation i
LEFT JOIN app_user u ON u.id = i.invited_by
WHERE i.org_id = @org_id AND i.accepted_at IS NULL AND i.revoked_at IS NULL
ORDER BY i.created_at DESC, i.id;

-- name: LockInvitation :one
SELECT i.id, i.email, i.role, i.expires_at, i.created_at, i.accepted_at, i.revoked_at,
       (i.expires_at <= now())::boolean AS expired,
       coalesce(u.name, '')::text AS invited_by_name
FROM invitation i
LEFT JOIN app_user u ON u.id = i.invited_by
WHERE i.org_id = @org_id AND i.id = @id
FOR UPDATE OF i;

-- name: RenewInvitation :one
-- RenewInvitation gives an invitation a new token hash, which makes every link sent
-- so far worthless at once, and seven more days.
UPDATE invitation
SET token_hash = @token_hash, expires_at = now() + interval '7 days'
WHERE org_id = @org_id AND id = @id
RETURNING id, email, role, expires_at, created_at, (expires_at <= now())::boolean AS expired;

-- name: RevokeInvitation :exec
UPDATE invitation
SET revoked_at = now()
WHERE org_id = @org_id AND id = @id;

-- name: GetInvitationByTokenGlobal :one
-- GetInvitationByTokenGlobal finds an invitation by its token's hash before its
-- organization is known; it runs only inside Store.ForInvitation, whose row-level
-- security shows just the invitation with this hash. usable is false once it has been
-- accepted, revoked or has expired, or when its organization is archived.
SELECT i.id, i.org_id, i.email, i.role, i.expires_at,
       o.name AS org_name, o.slug AS org_slug,
       (i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
        AND o.archived_at IS NULL)::boolean AS usable
FROM invitation i
JOIN organization o ON o.id = i.org_id
WHERE i.token_hash = @token_hash;

-- name: AcceptInvitation :one
-- AcceptInvitation marks an invitation used, if it still may be: of two requests with
-- the same link, only one gets a row back.
UPDATE invitation
SET accepted_at = now()
WHERE org_id = @org_id AND id = @id AND token_hash = @token_hash
  AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
RETURNING id;

-- name: UpsertDemoInvitationGlobal :exec
-- UpsertDemoInvitationGlobal keeps one pending invitation for the demo data: a new
-- one valid for seven days, or the one there, given seven days again when it has less
-- than a day left. Its token is random and sent to nobody.
INSERT INTO invitation (org_id, email, role, token_hash, invited_by, expires_at)
VALUES (@org_id, @email, @role, @token_hash, @invited_by, now() + interval '7 days')
ON CONFLICT (org_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL
DO UPDATE SET expires_at = EXCLUDED.expires_at
WHERE invitation.expires_at < now() + interval '1 day';
