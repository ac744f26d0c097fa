-- migrate:up

-- file_usage counts each organization's live files and their bytes, kept by a trigger
-- on file, so that an upload's quota check reads one row rather than summing the
-- organization's files. A file counts from its insert until it is marked deleted.
CREATE TABLE file_usage (
    org_id uuid PRIMARY KEY REFERENCES organization (id) ON DELETE CASCADE,
    bytes bigint NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    files integer NOT NULL DEFAULT 0 CHECK (files >= 0)
);

ALTER TABLE file_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE file_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON file_usage TO portal_app
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY staff ON file_usage TO portal_staff USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON file_usage TO portal_app, portal_staff;

INSERT INTO file_usage (org_id, bytes, files)
SELECT org_id, sum(size), count(*) FROM file WHERE deleted_at IS NULL GROUP BY org_id;

-- file_usage_count keeps file_usage in step with file. When the transaction has set
-- app.file_quota_bytes and app.file_quota_files (CreateFile does, from the portal's
-- settings), a file that takes the organization past either is refused with SQLSTATE
-- 53400 (configuration_limit_exceeded), and the whole change with it. The usage row's
-- update locks it until commit, so concurrent uploads of one organization are counted
-- one after the other and cannot pass the quota together.
CREATE FUNCTION file_usage_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    org uuid;
    d_bytes bigint := 0;
    d_files integer := 0;
    now_bytes bigint;
    now_files integer;
    max_bytes bigint := nullif(current_setting('app.file_quota_bytes', true), '')::bigint;
    max_files integer := nullif(current_setting('app.file_quota_files', true), '')::integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        org := NEW.org_id;
        IF NEW.deleted_at IS NULL THEN
            d_bytes := NEW.size;
            d_files := 1;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        org := NEW.org_id;
        IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
            d_bytes := -OLD.size;
            d_files := -1;
        ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
            d_bytes := NEW.size;
            d_files := 1;
        END IF;
    ELSIF OLD.deleted_at IS NULL THEN -- DELETE of a live file
        org := OLD.org_id;
        d_bytes := -OLD.size;
        d_files := -1;
    END IF;
    IF d_files = 0 THEN
        RETURN NULL;
    END IF;

    IF d_files < 0 THEN
        -- A file going: its organization's row is there (its insert made it), unless
        -- the organization itself is being deleted.
        UPDATE file_usage SET bytes = bytes + d_bytes, files = files + d_files
        WHERE org_id = org;
        RETURN NULL;
    END IF;
    INSERT INTO file_usage AS u (org_id, bytes, files) VALUES (org, d_bytes, d_files)
    ON CONFLICT (org_id) DO UPDATE
        SET bytes = u.bytes + d_bytes, files = u.files + d_files
    RETURNING u.bytes, u.files INTO now_bytes, now_files;

    IF now_bytes > max_bytes OR now_files > max_files THEN
        RAISE EXCEPTION 'the organization''s files would take % bytes in % files', now_bytes,
            now_files
            USING ERRCODE = 'configuration_limit_exceeded',
                  DETAIL = format('quota: %s bytes, %s files', max_bytes, max_files);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER file_usage_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON file
    FOR EACH ROW EXECUTE FUNCTION file_usage_count();

-- migrate:down
DROP TRIGGER file_usage_count ON file;
DROP FUNCTION file_usage_count();
DROP TABLE file_usage;
