-- Temporary, until the mail outbox is on main (see handlers/contract_tmp.go).

-- name: CreateInvitationTmp :one
INSERT INTO invitation (org_id, email, role, token_hash, invited_by, expires_at)
VALUES (@org_id, @email, @role, @token_hash, @invited_by, now() + interval '7 days')
RETURNING id;
