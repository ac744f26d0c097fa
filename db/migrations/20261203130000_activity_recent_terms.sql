-- migrate:up

-- A common word's newest entries stay listed in the word index (docs/activity.md, "How it
-- stays fast"). Before, a word found in 5,000 entries of an organization stopped being
-- listed, and a search for it read the log newest first: about 2,000 entries for a word
-- in one entry of 40, against the fifty lookups of a word still listed. Now every entry
-- lists all its words, and a common word's listing is trimmed to its newest 5,000
-- entries or so: the newest page of a frequent word then comes from the word index in
-- page order, at the same cost however long the log has grown.
--
-- listed_from_at, listed_from_id is where a common word's listing was cut: every entry
-- at or after it (in (created_at, id) order) that holds the word is listed; older ones
-- may not be. NULL: nothing was cut, every entry with the word is listed. A search
-- reads the listing down to there, and reads the log beyond.
ALTER TABLE activity_common_term
    ADD COLUMN listed_from_at timestamptz,
    ADD COLUMN listed_from_id bigint;
GRANT UPDATE ON activity_common_term TO portal_app, portal_staff;

-- activity_list_terms lists the words of the entries a statement added, all at once:
-- every word, except a common word for an entry older than where its listing was cut.
-- The words of one entry in 256 are then looked at: a word found in 5,000 entries becomes
-- common, and a common word's listing is cut after its 5,000 newest entries (a common
-- word is listed for a few hundred entries more at most). The cuts are made word by
-- word in (org_id, term) order, so that two statements that cut the same words wait for
-- each other rather than deadlock; a cut only ever moves forward.
CREATE OR REPLACE FUNCTION activity_list_terms() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    word record;
    cut_at timestamptz;
    cut_id bigint;
BEGIN
    INSERT INTO activity_term (org_id, term, created_at, activity_id)
    SELECT a.org_id, w.term, a.created_at, a.id
    FROM added a, unnest(activity_terms(a.summary || E'\n' || a.actor_name)) w (term)
    WHERE NOT EXISTS (SELECT 1 FROM activity_common_term c
                      WHERE c.org_id = a.org_id AND c.term = w.term
                        AND (c.listed_from_at, c.listed_from_id) > (a.created_at, a.id));

    FOR word IN
        SELECT DISTINCT a.org_id, t.term
        FROM added a, unnest(activity_terms(a.summary || E'\n' || a.actor_name)) t (term)
        WHERE a.id % 256 = 0
        ORDER BY a.org_id, t.term
    LOOP
        SELECT t.created_at, t.activity_id INTO cut_at, cut_id
        FROM activity_term t
        WHERE t.org_id = word.org_id AND t.term = word.term
        ORDER BY t.created_at DESC, t.activity_id DESC
        OFFSET 4999 LIMIT 1;
        CONTINUE WHEN NOT FOUND;

        INSERT INTO activity_common_term (org_id, term) VALUES (word.org_id, word.term)
        ON CONFLICT DO NOTHING;
        UPDATE activity_common_term c SET listed_from_at = cut_at, listed_from_id = cut_id
        WHERE c.org_id = word.org_id AND c.term = word.term
          AND (c.listed_from_at IS NULL
               OR (c.listed_from_at, c.listed_from_id) < (cut_at, cut_id));
        SELECT c.listed_from_at, c.listed_from_id INTO cut_at, cut_id
        FROM activity_common_term c
        WHERE c.org_id = word.org_id AND c.term = word.term;

        DELETE FROM activity_term t
        WHERE t.org_id = word.org_id AND t.term = word.term
          AND (t.created_at, t.activity_id) < (cut_at, cut_id);
    END LOOP;
    RETURN NULL;
END
$$;

-- activity_relist_terms lists a changed entry's words again, all of them.
CREATE OR REPLACE FUNCTION activity_relist_terms() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM activity_term t
    USING unnest(activity_terms(OLD.summary || E'\n' || OLD.actor_name)) w (term)
    WHERE t.org_id = OLD.org_id AND t.term = w.term AND t.created_at = OLD.created_at
      AND t.activity_id = OLD.id;
    INSERT INTO activity_term (org_id, term, created_at, activity_id)
    SELECT NEW.org_id, w.term, NEW.created_at, NEW.id
    FROM unnest(activity_terms(NEW.summary || E'\n' || NEW.actor_name)) w (term);
    RETURN NULL;
END
$$;

-- Backfill: list the newest 5,000 entries of each word already common, and cut there.
-- This reads the whole log once. Row-level security is lifted for these statements as in
-- 20261203110100_activity_search.sql; ALTER TABLE holds the locks until the end.
ALTER TABLE activity NO FORCE ROW LEVEL SECURITY;
ALTER TABLE activity_term NO FORCE ROW LEVEL SECURITY;
ALTER TABLE activity_common_term NO FORCE ROW LEVEL SECURITY;
INSERT INTO activity_term (org_id, term, created_at, activity_id)
SELECT s.org_id, s.term, s.created_at, s.id
FROM (SELECT a.org_id, w.term, a.created_at, a.id,
             row_number() OVER (PARTITION BY a.org_id, w.term
                                ORDER BY a.created_at DESC, a.id DESC) AS n
      FROM activity a, unnest(activity_terms(a.summary || E'\n' || a.actor_name)) w (term)
      WHERE EXISTS (SELECT 1 FROM activity_common_term c
                    WHERE c.org_id = a.org_id AND c.term = w.term)) s
WHERE s.n <= 5000
ON CONFLICT DO NOTHING;
UPDATE activity_common_term c
SET (listed_from_at, listed_from_id) = (
    SELECT t.created_at, t.activity_id FROM activity_term t
    WHERE t.org_id = c.org_id AND t.term = c.term
    ORDER BY t.created_at DESC, t.activity_id DESC
    OFFSET 4999 LIMIT 1);
DELETE FROM activity_term t
USING activity_common_term c
WHERE t.org_id = c.org_id AND t.term = c.term
  AND (t.created_at, t.activity_id) < (c.listed_from_at, c.listed_from_id);
ALTER TABLE activity_common_term FORCE ROW LEVEL SECURITY;
ALTER TABLE activity_term FORCE ROW LEVEL SECURITY;
ALTER TABLE activity FORCE ROW LEVEL SECURITY;

-- migrate:down
CREATE OR REPLACE FUNCTION activity_relist_terms() RETURNS trigger
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
CREATE OR REPLACE FUNCTION activity_list_terms() RETURNS trigger
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
REVOKE UPDATE ON activity_common_term FROM portal_app, portal_staff;
ALTER TABLE activity_common_term DROP COLUMN listed_from_at, DROP COLUMN listed_from_id;
