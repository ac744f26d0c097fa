-- sessions belong to users, not to organizations (see docs/architecture.md).

-- name: DeleteExpiredSessionsGlobal :execrows
DELETE FROM sessions WHERE expiry < now();
