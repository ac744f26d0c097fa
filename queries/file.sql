-- name: CreateFile :one
-- CreateFile records a blob that is already final in storage. The caller chooses the
-- ID, so that statements queued in the same batch (its activity entry) can name it.
-- The organization's files may then take at most quota_bytes in at most quota_files
-- files, 0 setting no limit: the statement hands both to the trigger that counts the
-- files (file_usage_count), which refuses the row past them with SQLSTATE 53400.
INSERT INTO file (id, org_id, uploader_id, filename, storage_key, mime, size, sha256)
SELECT @id, @org_id, @uploader_id, @filename, @storage_key, @mime, @size, @sha256
FROM (SELECT set_config('app.file_quota_bytes',
                        coalesce(nullif(@quota_bytes::bigint, 0)::text, ''), true),
             set_config('app.file_quota_files',
                        coalesce(nullif(@quota_files::integer, 0)::text, ''), true)) quota
RETURNING id, org_id, uploader_id, filename, storage_key, mime, size, sha256, created_at,
          deleted_at;

-- name: GetFile :one
-- GetFile loads a file that is not deleted, for its download.
SELECT id, uploader_id, filename, storage_key, mime, size, sha256, created_at
FROM file
WHERE org_id = @org_id AND id = @id AND deleted_at IS NULL;

-- name: ListFiles :many
-- ListFiles returns the newest files with their uploader's name.
SELECT f.id, f.uploader_id, f.filename, f.mime, f.size, f.created_at,
       u.name AS uploader_name
FROM file f
LEFT JOIN app_user u ON u.id = f.uploader_id
WHERE f.org_id = @org_id AND f.deleted_at IS NULL
ORDER BY f.created_at DESC, f.id DESC
LIMIT @max_rows;

-- name: ListFilesBefore :many
-- ListFilesBefore returns the files older than a cursor (created_at, id), newest first.
SELECT f.id, f.uploader_id, f.filename, f.mime, f.size, f.created_at,
       u.name AS uploader_name
FROM file f
LEFT JOIN app_user u ON u.id = f.uploader_id
WHERE f.org_id = @org_id AND f.deleted_at IS NULL
  AND (f.created_at, f.id) < (@before_created_at::timestamptz, @before_id::uuid)
ORDER BY f.created_at DESC, f.id DESC
LIMIT @max_rows;

-- name: DeleteFile :one
-- DeleteFile marks a file deleted, if the actor uploaded it or may delete any file;
-- the blob is removed after the transaction commits. No row: missing or not allowed.
UPDATE file
SET deleted_at = now()
WHERE org_id = @org_id AND id = @id AND deleted_at IS NULL
  AND (uploader_id = @actor_id OR @may_delete_any::boolean)
RETURNING id, filename, storage_key;

-- name: ListFileNamesIn :many
-- ListFileNamesIn returns which of the given names the organization's files have.
SELECT DISTINCT filename
FROM file
WHERE org_id = @org_id AND deleted_at IS NULL AND filename = ANY(@filenames::text[]);

-- name: ListLiveStorageKeysGlobal :many
-- ListLiveStorageKeysGlobal returns which of the given storage keys belong to a file
-- that is not deleted, in any organization: for the sweeper, on the staff connection.
SELECT storage_key
FROM file
WHERE storage_key = ANY(@storage_keys::text[]) AND deleted_at IS NULL;

-- name: GetFileUsage :one
-- GetFileUsage returns what the organization's live files take together, as the
-- quota counts them (file_usage); nothing yet is zero.
SELECT coalesce((SELECT u.bytes FROM file_usage u WHERE u.org_id = @org_id), 0)::bigint
           AS bytes,
       coalesce((SELECT u.files FROM file_usage u WHERE u.org_id = @org_id), 0)::integer
           AS files;

-- name: ListFilesForCheckGlobal :many
-- ListFilesForCheckGlobal returns the live files after the given ID, in ID order (so
-- a random order: IDs are random), with what their blobs must hold: for `portal files
-- check`, on the staff connection.
SELECT f.id, o.slug AS org_slug, f.filename, f.storage_key, f.size, f.sha256
FROM file f
JOIN organization o ON o.id = f.org_id
WHERE f.deleted_at IS NULL AND f.id > @after_id
ORDER BY f.id
LIMIT @max_rows;
