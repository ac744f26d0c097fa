-- migrate:up

-- Row-level security is the second wall behind the org_id filter of every query. Each
-- tenant table gets the same two policies: portal_app sees and writes only the rows of
-- the organization set for the transaction (nothing at all when none is set), and
-- portal_staff, used only on staff routes and by operator commands, sees every
-- organization. FORCE makes the policies bind the table owner too.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['thread', 'message', 'file', 'message_attachment', 'task',
                             'task_note', 'activity', 'thread_read', 'invitation',
                             'password_reset']
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

-- app_user differs in what portal_app may read: besides its own organization's members,
-- JusB staff once an organization is set (staff write in every workspace, so their
-- names show there) and, during a sign-in, the one row whose e-mail address is being
-- signed in.
ALTER TABLE app_user ENABLE ROW LEVEL SECURITY;
ALTER TABLE app_user FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_read ON app_user FOR SELECT TO portal_app
    USING (org_id = app_org_id()
           OR (app_org_id() IS NOT NULL
               AND org_id = (SELECT o.id FROM organization o WHERE o.is_staff))
           OR email = app_signin_email());
CREATE POLICY tenant_insert ON app_user FOR INSERT TO portal_app
    WITH CHECK (org_id = app_org_id());
CREATE POLICY tenant_update ON app_user FOR UPDATE TO portal_app
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY tenant_delete ON app_user FOR DELETE TO portal_app
    USING (org_id = app_org_id());
CREATE POLICY staff ON app_user TO portal_staff USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON app_user TO portal_app, portal_staff;

GRANT SELECT ON organization TO portal_app;
GRANT SELECT, INSERT, UPDATE ON organization TO portal_staff;

GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO portal_app, portal_staff;

GRANT USAGE ON SEQUENCE activity_id_seq TO portal_app, portal_staff;

-- migrate:down
REVOKE ALL ON SEQUENCE activity_id_seq FROM portal_app, portal_staff;
REVOKE ALL ON sessions FROM portal_app, portal_staff;
REVOKE ALL ON organization FROM portal_app, portal_staff;
DROP POLICY staff ON app_user;
DROP POLICY tenant_delete ON app_user;
DROP POLICY tenant_update ON app_user;
DROP POLICY tenant_insert ON app_user;
DROP POLICY tenant_read ON app_user;
ALTER TABLE app_user NO FORCE ROW LEVEL SECURITY;
ALTER TABLE app_user DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON app_user FROM portal_app, portal_staff;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['thread', 'message', 'file', 'message_attachment', 'task',
                             'task_note', 'activity', 'thread_read', 'invitation',
                             'password_reset']
    LOOP
        EXECUTE format('DROP POLICY staff ON %I', t);
        EXECUTE format('DROP POLICY tenant ON %I', t);
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
        EXECUTE format('REVOKE ALL ON %I FROM portal_app, portal_staff', t);
    END LOOP;
END
$$;
