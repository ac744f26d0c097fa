-- migrate:up

-- organization is the registry of tenants. It holds no tenant content and is read by
-- portal_app to resolve the slug in /o/{slug}; only portal_staff may change it.
CREATE TABLE organization (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    slug        text NOT NULL UNIQUE
                CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
    is_staff    boolean NOT NULL DEFAULT false,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Exactly one organization, JusB Solutions, is the staff organization.
CREATE UNIQUE INDEX organization_single_staff ON organization (is_staff) WHERE is_staff;

-- app_user is a person who signs in ("user" is a reserved word in SQL).
CREATE TABLE app_user (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organization (id),
    email           text NOT NULL
                    CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 254
                           AND email LIKE '_%@_%'),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('client', 'client_admin', 'jusb_admin')),
    is_active       boolean NOT NULL DEFAULT true,
    -- session_version is copied into each session at sign-in; raising it ends every
    -- session of the user at their next request.
    session_version integer NOT NULL DEFAULT 1,
    last_sign_in_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);

CREATE UNIQUE INDEX app_user_email_key ON app_user (email);
CREATE INDEX app_user_org_idx ON app_user (org_id, name);

-- app_user_role_fits_org keeps jusb_admin inside the staff organization and the
-- staff organization free of client roles.
CREATE FUNCTION app_user_role_fits_org() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (NEW.role = 'jusb_admin') IS DISTINCT FROM
       (SELECT o.is_staff FROM organization o WHERE o.id = NEW.org_id) THEN
        RAISE EXCEPTION 'role % does not fit organization %', NEW.role, NEW.org_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER app_user_role_fits_org
    BEFORE INSERT OR UPDATE OF role, org_id ON app_user
    FOR EACH ROW EXECUTE FUNCTION app_user_role_fits_org();

-- actor_may_act checks that the user named in column TG_ARGV[0] of the new row belongs
-- to the row's organization or is JusB staff, who work in every organization. A plain
-- foreign key keeps the user real; this keeps them in the right place.
CREATE FUNCTION actor_may_act() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    actor uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
BEGIN
    IF actor IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM app_user u JOIN organization o ON o.id = u.org_id
        WHERE u.id = actor AND (u.org_id = NEW.org_id OR o.is_staff)
    ) THEN
        RAISE EXCEPTION '% % may not act in organization %', TG_ARGV[0], actor, NEW.org_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TABLE thread (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organization (id),
    title           text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    created_by      uuid NOT NULL REFERENCES app_user (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_message_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);

CREATE INDEX thread_org_recent_idx ON thread (org_id, last_message_at DESC, id DESC);
CREATE TRIGGER thread_actor BEFORE INSERT OR UPDATE OF created_by, org_id ON thread
    FOR EACH ROW EXECUTE FUNCTION actor_may_act('created_by');

CREATE TABLE message (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     uuid NOT NULL REFERENCES organization (id),
    thread_id  uuid NOT NULL,
    author_id  uuid NOT NULL REFERENCES app_user (id),
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 20000),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, thread_id) REFERENCES thread (org_id, id) ON DELETE CASCADE
);

CREATE INDEX message_thread_idx ON message (org_id, thread_id, created_at, id);
CREATE TRIGGER message_actor BEFORE INSERT OR UPDATE OF author_id, org_id ON message
    FOR EACH ROW EXECUTE FUNCTION actor_may_act('author_id');

-- file is an uploaded blob's record. storage_key is random and never derived from the
-- name; filename is the sanitized original name, kept for display only.
CREATE TABLE file (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organization (id),
    uploader_id uuid NOT NULL REFERENCES app_user (id),
    filename    text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 255),
    storage_key text NOT NULL UNIQUE,
    mime        text NOT NULL,
    size        bigint NOT NULL CHECK (size >= 0),
    sha256      bytea NOT NULL CHECK (length(sha256) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    UNIQUE (org_id, id)
);

CREATE INDEX file_org_recent_idx ON file (org_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE TRIGGER file_actor BEFORE INSERT OR UPDATE OF uploader_id, org_id ON file
    FOR EACH ROW EXECUTE FUNCTION actor_may_act('uploader_id');

-- message_attachment links a message to files of the same organization; the composite
-- keys make a link to another organization's file impossible.
CREATE TABLE message_attachment (
    org_id     uuid NOT NULL REFERENCES organization (id),
    message_id uuid NOT NULL,
    file_id    uuid NOT NULL,
    PRIMARY KEY (org_id, message_id, file_id),
    FOREIGN KEY (org_id, message_id) REFERENCES message (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, file_id) REFERENCES file (org_id, id)
);

CREATE INDEX message_attachment_file_idx ON message_attachment (org_id, file_id);

CREATE TABLE task (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organization (id),
    title       text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 20000),
    status      text NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'in_progress', 'done')),
    -- The assignee is a member of the task's own organization, by the composite key.
    assignee_id uuid,
    due_date    date,
    created_by  uuid NOT NULL REFERENCES app_user (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, assignee_id) REFERENCES app_user (org_id, id)
);

CREATE INDEX task_org_status_idx ON task (org_id, status, due_date, id);
CREATE INDEX task_org_assignee_idx ON task (org_id, assignee_id, status);
CREATE TRIGGER task_actor BEFORE INSERT OR UPDATE OF created_by, org_id ON task
    FOR EACH ROW EXECUTE FUNCTION actor_may_act('created_by');

-- task_note is one comment in a task's running list of notes.
CREATE TABLE task_note (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     uuid NOT NULL REFERENCES organization (id),
    task_id    uuid NOT NULL,
    author_id  uuid NOT NULL REFERENCES app_user (id),
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 20000),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, task_id) REFERENCES task (org_id, id) ON DELETE CASCADE
);

CREATE INDEX task_note_task_idx ON task_note (org_id, task_id, created_at, id);
CREATE TRIGGER task_note_actor BEFORE INSERT OR UPDATE OF author_id, org_id ON task_note
    FOR EACH ROW EXECUTE FUNCTION actor_may_act('author_id');

-- activity is the organization's trail of who did what. actor_id is empty for events
-- without a known user, such as a failed sign-in for an unknown address.
CREATE TABLE activity (
    id          bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    org_id      uuid NOT NULL REFERENCES organization (id),
    actor_id    uuid REFERENCES app_user (id),
    action      text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    target_type text NOT NULL CHECK (target_type ~ '^[a-z_]+$'),
    target_id   uuid,
    -- summary is a short human-readable description, such as a task's title.
    summary     text NOT NULL DEFAULT '' CHECK (char_length(summary) <= 500),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX activity_org_recent_idx ON activity (org_id, created_at DESC, id DESC);
CREATE TRIGGER activity_actor BEFORE INSERT OR UPDATE OF actor_id, org_id ON activity
    FOR EACH ROW EXECUTE FUNCTION actor_may_act('actor_id');

-- thread_read is how far a user has read a thread.
CREATE TABLE thread_read (
    org_id       uuid NOT NULL REFERENCES organization (id),
    thread_id    uuid NOT NULL,
    user_id      uuid NOT NULL REFERENCES app_user (id),
    last_read_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, thread_id, user_id),
    FOREIGN KEY (org_id, thread_id) REFERENCES thread (org_id, id) ON DELETE CASCADE
);

CREATE INDEX thread_read_user_idx ON thread_read (org_id, user_id);
CREATE TRIGGER thread_read_actor BEFORE INSERT OR UPDATE OF user_id, org_id ON thread_read
    FOR EACH ROW EXECUTE FUNCTION actor_may_act('user_id');

-- invitation asks someone to join an organization. Only the SHA-256 of its token is
-- stored.
CREATE TABLE invitation (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organization (id),
    email       text NOT NULL CHECK (email = lower(email) AND email LIKE '_%@_%'),
    role        text NOT NULL CHECK (role IN ('client', 'client_admin', 'jusb_admin')),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    invited_by  uuid REFERENCES app_user (id),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);

CREATE INDEX invitation_org_idx ON invitation (org_id, created_at DESC);
CREATE UNIQUE INDEX invitation_pending_email ON invitation (org_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE TRIGGER invitation_actor BEFORE INSERT OR UPDATE OF invited_by, org_id ON invitation
    FOR EACH ROW EXECUTE FUNCTION actor_may_act('invited_by');

-- password_reset is a one-time, short-lived request to set a new password. Only the
-- SHA-256 of its token is stored.
CREATE TABLE password_reset (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     uuid NOT NULL REFERENCES organization (id),
    user_id    uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, user_id) REFERENCES app_user (org_id, id) ON DELETE CASCADE
);

CREATE INDEX password_reset_user_idx ON password_reset (org_id, user_id);

-- sessions is the table of github.com/alexedwards/scs/pgxstore. A session belongs to a
-- user, not to an organization, so it stays outside row-level security.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);

CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- migrate:down
DROP TABLE sessions;
DROP TABLE password_reset;
DROP TABLE invitation;
DROP TABLE thread_read;
DROP TABLE activity;
DROP TABLE task_note;
DROP TABLE task;
DROP TABLE message_attachment;
DROP TABLE file;
DROP TABLE message;
DROP TABLE thread;
DROP TABLE app_user;
DROP FUNCTION actor_may_act();
DROP FUNCTION app_user_role_fits_org();
DROP TABLE organization;
