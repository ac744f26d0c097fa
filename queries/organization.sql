-- organization is the registry of tenants, not tenant data: its queries are named
-- Global because they are not confined to one organization.

-- name: GetOrganizationBySlugGlobal :one
SELECT id, name, slug, is_staff, archived_at, created_at
FROM organization
WHERE slug = @slug;

-- name: GetOrganizationGlobal :one
SELECT id, name, slug, is_staff, archived_at, created_at
FROM organization
WHERE id = @id;

-- name: ListOrganizationsGlobal :many
SELECT o.id, o.name, o.slug, o.is_staff, o.archived_at, o.created_at,
       (SELECT count(*) FROM app_user u WHERE u.org_id = o.id AND u.is_active)::bigint
           AS active_members
FROM organization o
ORDER BY o.is_staff DESC, o.name, o.id;

-- name: CreateOrganizationGlobal :one
INSERT INTO organization (name, slug, is_staff)
VALUES (@name, @slug, @is_staff)
RETURNING id, name, slug, is_staff, archived_at, created_at;

-- name: UpsertOrganizationGlobal :one
INSERT INTO organization (name, slug, is_staff)
VALUES (@name, @slug, @is_staff)
ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name
RETURNING id, name, slug, is_staff, archived_at, created_at;

-- name: ListOrganizationSummariesGlobal :many
-- ListOrganizationSummariesGlobal is the staff's table of organizations: those whose
-- name or slug contains search (any case; all when empty), the staff organization
-- first, then by name, at most max_rows, each with its counts and last activity; or
-- the one organization with the slug, when slug is not empty. One statement for the
-- page: the organizations of the page are chosen first, then each count is an index
-- probe into that organization's rows (lateral subqueries), or its row of file_usage
-- for the live files and their bytes, so the work grows with the page, not with the
-- number of organizations.
-- last_activity_at is NULL for an organization whose log is empty (sqlc types it as
-- interface{}: pgx gives a time.Time or nil).
SELECT o.id, o.name, o.slug, o.is_staff, o.archived_at, o.created_at,
       m.members, t.threads, coalesce(f.files, 0)::bigint AS files,
       coalesce(f.bytes, 0)::bigint AS file_bytes, k.open_tasks,
       (SELECT max(e.created_at) FROM activity e WHERE e.org_id = o.id)
           AS last_activity_at
FROM (SELECT p.id, p.name, p.slug, p.is_staff, p.archived_at, p.created_at
      FROM organization p
      WHERE (@slug::text = '' OR p.slug = @slug)
        AND (@search::text = ''
             OR strpos(lower(p.name), lower(@search)) > 0
             OR strpos(p.slug, lower(@search)) > 0)
      ORDER BY p.is_staff DESC, p.name, p.id
      LIMIT @max_rows) o
CROSS JOIN LATERAL (SELECT count(*) AS members FROM app_user u
                    WHERE u.org_id = o.id AND u.is_active) m
CROSS JOIN LATERAL (SELECT count(*) AS threads FROM thread t WHERE t.org_id = o.id) t
LEFT JOIN file_usage f ON f.org_id = o.id
CROSS JOIN LATERAL (SELECT count(*) AS open_tasks FROM task k
                    WHERE k.org_id = o.id AND k.status IN ('open', 'in_progress')) k
ORDER BY o.is_staff DESC, o.name, o.id;

-- name: RenameOrganizationGlobal :one
UPDATE organization SET name = @name
WHERE id = @id
RETURNING id, name, slug, is_staff, archived_at, created_at;

-- name: ArchiveOrganizationGlobal :one
-- ArchiveOrganizationGlobal archives a client organization that is not archived yet;
-- the staff organization cannot be archived.
UPDATE organization SET archived_at = now()
WHERE id = @id AND archived_at IS NULL AND NOT is_staff
RETURNING id, name, slug, is_staff, archived_at, created_at;

-- name: RestoreOrganizationGlobal :one
UPDATE organization SET archived_at = NULL
WHERE id = @id AND archived_at IS NOT NULL
RETURNING id, name, slug, is_staff, archived_at, created_at;

-- name: ListOrganizationChoicesGlobal :many
-- ListOrganizationChoicesGlobal lists every organization for a filter's select.
SELECT o.id, o.name, o.slug, o.archived_at
FROM organization o
ORDER BY o.is_staff DESC, o.name, o.id;

-- name: EmailInUseGlobal :one
-- EmailInUseGlobal reports whether any user of the portal has the address: addresses
-- are unique across organizations, so such a person cannot be invited to a new one.
SELECT EXISTS (SELECT 1 FROM app_user u WHERE u.email = @email)::boolean AS in_use;
