-- migrate:up

-- user_totp is a user's two-factor sign-in with a time-based one-time password
-- (RFC 6238: SHA-1, six digits, 30-second steps). secret is the shared key in base32,
-- as authenticator apps read it; it is stored as it is (see docs/accounts.md).
-- last_step is the time step of the last code accepted: a code is taken only for a
-- later step, so no code works twice.
CREATE TABLE user_totp (
    org_id     uuid NOT NULL REFERENCES organization (id),
    user_id    uuid NOT NULL,
    secret     text NOT NULL CHECK (secret ~ '^[A-Z2-7]{32}$'),
    last_step  bigint,
    enabled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES app_user (org_id, id) ON DELETE CASCADE
);

-- recovery_code is a one-time code that stands in for a TOTP code when the phone is
-- lost. Only the SHA-256 of each code is stored.
CREATE TABLE recovery_code (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     uuid NOT NULL REFERENCES organization (id),
    user_id    uuid NOT NULL,
    code_hash  bytea NOT NULL CHECK (length(code_hash) = 32),
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, user_id, code_hash),
    FOREIGN KEY (org_id, user_id) REFERENCES app_user (org_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['user_totp', 'recovery_code']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I TO portal_app '
                       'USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())', t);
        EXECUTE format('CREATE POLICY staff ON %I TO portal_staff USING (true) WITH CHECK (true)',
                       t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO portal_app, portal_staff',
                       t);
    END LOOP;
END
$$;

-- app_reset_token_hash is the SHA-256 of the password-reset token being followed, set
-- by Store.ForPasswordReset before the organization is known. Like app_signin_email it
-- opens a narrow path: the one password_reset row with that hash, and its user.
CREATE FUNCTION app_reset_token_hash() RETURNS bytea
    LANGUAGE sql STABLE
    AS $$ SELECT decode(NULLIF(current_setting('app.reset_token_hash', true), ''), 'hex') $$;

CREATE POLICY reset_lookup ON password_reset FOR SELECT TO portal_app
    USING (token_hash = app_reset_token_hash());
CREATE POLICY reset_user ON app_user FOR SELECT TO portal_app
    USING (app_reset_token_hash() IS NOT NULL
           AND (org_id, id) IN (SELECT r.org_id, r.user_id FROM password_reset r
                                WHERE r.token_hash = app_reset_token_hash()));

-- migrate:down
DROP POLICY reset_user ON app_user;
DROP POLICY reset_lookup ON password_reset;
DROP FUNCTION app_reset_token_hash();
DROP TABLE recovery_code;
DROP TABLE user_totp;
