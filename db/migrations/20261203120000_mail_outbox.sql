-- migrate:up

-- outbox holds the e-mails a change has to send. A row is written in the change's own
-- transaction, so a mail exists exactly when its change committed, and a worker sends it
-- afterwards, retrying with growing pauses. The row names what to write about (kind and
-- ref_id, such as an invitation), never the message itself: a one-time token is issued
-- when the mail is composed, just before it is sent, so no raw token is ever stored.
CREATE TABLE outbox (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organization (id),
    kind            text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    ref_id          uuid NOT NULL,
    to_address      text NOT NULL CHECK (char_length(to_address) BETWEEN 3 AND 254),
    attempts        integer NOT NULL DEFAULT 0,
    -- next_attempt_at is when the worker may take the row; taking it moves this on, so a
    -- worker that dies mid-send leaves the row to be retried later, not lost.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    failed_at       timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_due_idx ON outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_ref_idx ON outbox (org_id, ref_id, created_at DESC);

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON outbox TO portal_app
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY staff ON outbox TO portal_staff USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON outbox TO portal_app, portal_staff;

-- outbox_notify wakes the workers when a mail is queued; PostgreSQL delivers the
-- notification at commit, and never for a change that rolled back.
CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_queued AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- migrate:down
DROP TABLE outbox;
DROP FUNCTION outbox_notify();
