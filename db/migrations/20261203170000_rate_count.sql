-- migrate:up

-- rate_count counts the requests of the credential routes' rate limits per key and
-- time window, so that a limit holds across every portal process behind the load
-- balancer, not once per process. key is the SHA-256 of the limit's name and its key
-- (a client address, an e-mail address, a user ID), so that no address is stored.
-- It holds no tenant data and stays outside row-level security, like the sessions;
-- the server deletes windows older than a day.
CREATE TABLE rate_count (
    key          bytea NOT NULL CHECK (length(key) = 32),
    window_start timestamptz NOT NULL,
    count        integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (key, window_start)
);

CREATE INDEX rate_count_window_idx ON rate_count (window_start);

GRANT SELECT, INSERT, UPDATE, DELETE ON rate_count TO portal_app;

-- migrate:down
DROP TABLE rate_count;
