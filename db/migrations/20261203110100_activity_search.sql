-- migrate:up

-- The activity log filters by actor, action, target type, date range and free text, and
-- pages newest first with a (created_at, id) cursor. Each filter gets an index that
-- leads with org_id and ends in the page order, so that a filtered page reads about 50
-- index entries however long the organization's log has grown.
--
-- Free text cannot use a trigram index here: row-level security lets the planner put
-- only leakproof operators into an index condition (so that no operator can see another
-- organization's rows), and LIKE, regular expressions and pg_trgm's operators are not
-- leakproof; only a superuser could mark them so. Text equality and prefix matching
-- (^@) are leakproof, so the search works on words instead: activity_term lists, for
-- each entry, the words of its summary and of its actor's name, and the search finds
-- the entries with a word that starts with the longest word typed (docs/activity.md).

-- actor_name is the actor's name when the entry was written, like summary is the
-- target's description at that moment; the free text matches both. A trigger fills it
-- from app_user, so that no caller can set it and CreateActivity stays as it was.
ALTER TABLE activity ADD COLUMN actor_name text NOT NULL DEFAULT '';

CREATE FUNCTION activity_actor_name() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.actor_name := coalesce(
        (SELECT u.name FROM app_user u WHERE u.id = NEW.actor_id), '');
    RETURN NEW;
END
$$;

-- activity_terms splits text into its words: lowercase runs of letters and digits, cut
-- to 40 characters, each once. Searches split what is typed the same way.
CREATE FUNCTION activity_terms(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce(array_agg(DISTINCT left(w, 40) ORDER BY left(w, 40)), '{}')
    FROM regexp_split_to_table(lower(t), '[^[:alnum:]]+') w
    WHERE w <> ''
$$;

-- activity_search_term is the word of a search that finds the fewest entries, as far as
-- length tells: the longest. With a constant argument the planner computes it while
-- planning, so that the prefix match on activity_term becomes an index range.
CREATE FUNCTION activity_search_term(q text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce((SELECT w FROM unnest(activity_terms(q)) w
                     ORDER BY length(w) DESC, w LIMIT 1), '')
$$;

-- activity_search_pattern is the regular expression an entry's text must match: every
-- word of the search starts a word of the text, in any order, case aside. The words are
-- letters and digits only, so they need no escaping.
CREATE FUNCTION activity_search_pattern(q text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce('^' || string_agg('(?=.*(?:^|[^[:alnum:]])' || w || ')', '' ORDER BY w),
                    '')
    FROM unnest(activity_terms(q)) w
$$;

-- activity_term is the word index of the log: which entry holds which word, and when
-- it was written, so that a search can take the newest of its entries without reading
-- them all. A word becomes common in an organization once it is in 5,000 entries; its
-- further entries are not listed (a search for it reads the log newest first instead,
-- and meets it often), which keeps the table to the words worth looking up. The rows are
-- derived from activity by the triggers below, never written by the portal's code; they
-- carry no foreign keys, which would cost every listed word a lookup: the triggers keep
-- them in step with activity, deletions included.
CREATE TABLE activity_term (
    org_id      uuid NOT NULL,
    term        text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    activity_id bigint NOT NULL,
    PRIMARY KEY (org_id, term, created_at, activity_id)
);

-- activity_common_term lists the words that are common in an organization's log.
CREATE TABLE activity_common_term (
    org_id uuid NOT NULL REFERENCES organization (id),
    term   text COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, term)
);

-- activity_list_terms lists the words of the entries a statement added, except the
-- common ones, all at once. The words of one entry in 256 are then counted, and those
-- found in 5,000 entries become common: a common word goes on being listed for a few
-- hundred entries at most, and the count costs an insert a fraction of a millisecond on
-- average. (A statement that adds many entries lists all their words; common words are
-- known from the next statement on.)
CREATE FUNCTION activity_list_terms() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO activity_term (org_id, term, created_at, activity_id)
    SELECT a.org_id, w.term, a.created_at, a.id
    FROM added a, unnest(activity_terms(a.summary || E'\n' || a.actor_name)) w (term)
    WHERE NOT EXISTS (SELECT 1 FROM activity_common_term c
                      WHERE c.org_id = a.org_id AND c.term = w.term);

    INSERT INTO activity_common_term (org_id, term)
    SELECT s.org_id, s.term
    FROM (SELECT DISTINCT a.org_id, w.term
          FROM added a, unnest(activity_terms(a.summary || E'\n' || a.actor_name)) w (term)
          WHERE a.id % 256 = 0) s
    WHERE (SELECT count(*) FROM (SELECT 1 FROM activity_term t
                                 WHERE t.org_id = s.org_id AND t.term = s.term
                                 LIMIT 5000) listed) >= 5000
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

-- activity_unlist_terms removes the words of entries that are deleted or changed, by
-- their keys in activity_term; a changed entry is listed again by activity_relist_terms.
CREATE FUNCTION activity_unlist_terms() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM activity_term t
    USING removed r, unnest(activity_terms(r.summary || E'\n' || r.actor_name)) w (term)
    WHERE t.org_id = r.org_id AND t.term = w.term AND t.created_at = r.created_at
      AND t.activity_id = r.id;
    RETURN NULL;
END
$$;

CREATE FUNCTION activity_relist_terms() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM activity_term t
    USING unnest(activity_terms(OLD.summary || E'\n' || OLD.actor_name)) w (term)
    WHERE t.org_id = OLD.org_id AND t.term = w.term AND t.created_at = OLD.created_at
      AND t.activity_id = OLD.id;
    INSERT INTO activity_term (org_id, term, created_at, activity_id)
    SELECT NEW.org_id, w.term, NEW.created_at, NEW.id
    FROM unnest(activity_terms(NEW.summary || E'\n' || NEW.actor_name)) w (term)
    WHERE NOT EXISTS (SELECT 1 FROM activity_common_term c
                      WHERE c.org_id = NEW.org_id AND c.term = w.term);
    RETURN NULL;
END
$$;

-- Both tables are tenant data, confined like every other (the same policies as in
-- 20261203100200_row_level_security.sql).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['activity_term', 'activity_common_term']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I TO portal_app '
                       'USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())', t);
        EXECUTE format('CREATE POLICY staff ON %I TO portal_staff USING (true) WITH CHECK (true)',
                       t);
        EXECUTE format('GRANT SELECT, INSERT, DELETE ON %I TO portal_app, portal_staff', t);
    END LOOP;
END
$$;

-- Backfill the entries written so far: their actors' names, their words, and the words
-- already common. Row-level security binds the owner too (FORCE) and no policy is the
-- owner's, so it is lifted for these statements, inside this migration's transaction;
-- ALTER TABLE holds the table's lock until the end, so no entry is written meanwhile.
ALTER TABLE activity NO FORCE ROW LEVEL SECURITY;
ALTER TABLE app_user NO FORCE ROW LEVEL SECURITY;
ALTER TABLE activity_term NO FORCE ROW LEVEL SECURITY;
ALTER TABLE activity_common_term NO FORCE ROW LEVEL SECURITY;
UPDATE activity a SET actor_name = u.name FROM app_user u WHERE u.id = a.actor_id;
INSERT INTO activity_term (org_id, term, created_at, activity_id)
SELECT a.org_id, w, a.created_at, a.id
FROM activity a, unnest(activity_terms(a.summary || E'\n' || a.actor_name)) w;
INSERT INTO activity_common_term (org_id, term)
SELECT org_id, term FROM activity_term GROUP BY org_id, term HAVING count(*) >= 5000;
ALTER TABLE activity_common_term FORCE ROW LEVEL SECURITY;
ALTER TABLE activity_term FORCE ROW LEVEL SECURITY;
ALTER TABLE app_user FORCE ROW LEVEL SECURITY;
ALTER TABLE activity FORCE ROW LEVEL SECURITY;

-- Triggers fire in name order: activity_actor has checked the actor before
-- activity_actor_name reads the name.
CREATE TRIGGER activity_actor_name BEFORE INSERT OR UPDATE OF actor_id ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_actor_name();
CREATE TRIGGER activity_list_terms AFTER INSERT ON activity
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION activity_list_terms();
CREATE TRIGGER activity_unlist_terms AFTER DELETE ON activity
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION activity_unlist_terms();
CREATE TRIGGER activity_relist_terms
    AFTER UPDATE OF org_id, summary, actor_id, actor_name, created_at ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_relist_terms();

-- activity_org_recent_idx (org_id, created_at DESC, id DESC) serves the unfiltered log,
-- the date range and common words; these serve the other filters in the same order.
-- A person and an action together ("what did Bob delete?") get their own index: two
-- filters that each match many entries may match few together, and the planner would
-- read all of one to find them.
CREATE INDEX activity_org_actor_idx ON activity (org_id, actor_id, created_at DESC, id DESC);
CREATE INDEX activity_org_actor_action_idx
    ON activity (org_id, actor_id, action, created_at DESC, id DESC);
CREATE INDEX activity_org_action_idx ON activity (org_id, action, created_at DESC, id DESC);
CREATE INDEX activity_org_target_idx
    ON activity (org_id, target_type, created_at DESC, id DESC);

-- migrate:down
DROP INDEX activity_org_target_idx;
DROP INDEX activity_org_action_idx;
DROP INDEX activity_org_actor_action_idx;
DROP INDEX activity_org_actor_idx;
DROP TRIGGER activity_relist_terms ON activity;
DROP TRIGGER activity_unlist_terms ON activity;
DROP TRIGGER activity_list_terms ON activity;
DROP FUNCTION activity_relist_terms();
DROP FUNCTION activity_unlist_terms();
DROP FUNCTION activity_list_terms();
DROP TABLE activity_common_term;
DROP TABLE activity_term;
DROP FUNCTION activity_search_pattern(text);
DROP FUNCTION activity_search_term(text);
DROP FUNCTION activity_terms(text);
DROP TRIGGER activity_actor_name ON activity;
DROP FUNCTION activity_actor_name();
ALTER TABLE activity DROP COLUMN actor_name;
