-- migrate:up

-- The portal never connects as the owner of these tables. portal_app serves client
-- requests and is confined by row-level security to the organization set for the
-- current transaction; portal_staff is the explicit path for JusB staff and operator
-- commands that cross organizations. Neither may bypass RLS, and neither is a member
-- of the other. Roles are cluster-wide, so they are created only when missing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portal_app') THEN
        CREATE ROLE portal_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portal_staff') THEN
        CREATE ROLE portal_staff LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO portal_app, portal_staff;

-- app_org_id is the organization set for the current transaction by the Go store
-- (set_config('app.org_id', ..., true)). After the transaction the setting reads as
-- '' rather than NULL, hence the NULLIF. STABLE lets policies use indexes.
CREATE FUNCTION app_org_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;

-- app_signin_email is the one e-mail address whose user row a sign-in may read before
-- the organization is known.
CREATE FUNCTION app_signin_email() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.signin_email', true), '') $$;

-- migrate:down
DROP FUNCTION app_signin_email();
DROP FUNCTION app_org_id();
REVOKE USAGE ON SCHEMA public FROM portal_app, portal_staff;
