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
