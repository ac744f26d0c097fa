-- name: CreateActivity :exec
INSERT INTO activity (org_id, actor_id, action, target_type, target_id, summary)
VALUES (@org_id, @actor_id, @action, @target_type, @target_id, @summary);

-- name: ListRecentActivity :many
-- ListRecentActivity returns the newest entries with their actor's name.
SELECT a.id, a.action, a.target_type, a.target_id, a.summary, a.created_at,
       u.name AS actor_name
FROM activity a
LEFT JOIN app_user u ON u.id = a.actor_id
WHERE a.org_id = @org_id
ORDER BY a.created_at DESC, a.id DESC
LIMIT @max_rows;

-- name: ListActivity :many
-- ListActivity returns the entries that pass the activity log's filter, newest first.
-- Every filter is optional: NULL or an empty string leaves it out. The page passes a
-- cursor (the created_at and id of the last entry shown), a row limit and a scan limit;
-- the CSV export passes none of them and streams every entry. Run it with
-- plan_cache_mode set to force_custom_plan (db/activity.go does), so that the planner
-- sees which filters are set, and without sequential or bitmap scans, so that it reads
-- the log in its order.
--
-- The free text (search) takes one of three ways, decided as the statement runs:
-- - quick: when the search's longest word starts exactly one listed word, its listing is
--   read in page order (activity_term's key), down to where a common word's listing was
--   cut, and each of its first 500 entries is looked up until the page is full. Taken
--   when that fills the page, or when it saw every entry with the word; and, when no
--   person, action or type is chosen, after its 500 entries, where the page then stops
--   like reading the log does (see fast).
-- - otherwise, when the longest word starts fewer than 5,000 listed words of the log,
--   none of them common, the entries come from activity_term (hits), sorted newest
--   first, until the page is full;
-- - otherwise the log is read newest first, and the frequent word fills the page soon.
-- Only one branch of the UNION returns anything.
-- Reading the log stops after scan_rows entries that pass the other filters: if the
-- page is not full by then, the last entry read comes too, with matched false, so that
-- the next page can go on from there; quick, when it stops, sends its 500th entry so.
-- (The longest word's strpos in the lowercased summary or name is implied by the
-- pattern; it is there because it is quicker, and rules out most entries first: lower()
-- is the folding ILIKE uses, without its concatenation and pattern matching, about half
-- the cost per entry.)
WITH one AS MATERIALIZED (
    SELECT w.term, c.term IS NULL OR c.listed_from_at IS NULL AS whole,
           coalesce(c.listed_from_at, '-infinity') AS from_at,
           coalesce(c.listed_from_id, 0) AS from_id
    FROM (SELECT min(t.term) AS term, max(t.term) AS last
          FROM activity_term t
          WHERE t.org_id = @org_id AND @search::text <> ''
            AND t.term ^@ activity_search_term(@search)) w
    LEFT JOIN activity_common_term c ON c.org_id = @org_id AND c.term = w.term
    WHERE w.term = w.last
), quick AS MATERIALIZED (
    SELECT a.id, h.created_at, a.actor_id, a.actor_name, a.action, a.target_type,
           a.target_id, a.summary, true AS matched
    FROM (SELECT t.activity_id, t.created_at
          FROM activity_term t
          WHERE @search::text <> '' AND t.org_id = @org_id AND t.term = (SELECT one.term FROM one)
            AND (t.created_at, t.activity_id)
                >= ((SELECT one.from_at FROM one), (SELECT one.from_id FROM one))
            AND (sqlc.narg(since)::timestamptz IS NULL OR t.created_at >= sqlc.narg(since))
            AND (sqlc.narg(until)::timestamptz IS NULL OR t.created_at < sqlc.narg(until))
            AND (sqlc.narg(before_at)::timestamptz IS NULL
                 OR (t.created_at, t.activity_id) < (sqlc.narg(before_at), @before_id::bigint))
          ORDER BY t.created_at DESC, t.activity_id DESC
          LIMIT 500) h
    -- A join, not a lateral lookup: each entry is looked up once, in the listing's
    -- order, and the planner's nested loop does that without a subquery per entry.
    JOIN activity a ON a.org_id = @org_id AND a.id = h.activity_id
    WHERE (sqlc.narg(actor_id)::uuid IS NULL OR a.actor_id = sqlc.narg(actor_id))
      AND (@action::text = '' OR a.action = @action)
      AND (@target_type::text = '' OR a.target_type = @target_type)
      AND (a.summary || E'\n' || a.actor_name) ~* activity_search_pattern(@search)
    ORDER BY h.created_at DESC, h.activity_id DESC
    LIMIT sqlc.narg(max_rows)
), edge AS MATERIALIZED (
    -- The listing's 500th and 501st entries, if it holds that many: whether quick left
    -- entries with the word unseen, and where it stopped looking.
    SELECT e.activity_id, e.created_at, e.n
    FROM (SELECT t.activity_id, t.created_at,
                 row_number() OVER (ORDER BY t.created_at DESC, t.activity_id DESC) AS n
          FROM activity_term t
          WHERE @search::text <> '' AND t.org_id = @org_id AND t.term = (SELECT one.term FROM one)
            AND (t.created_at, t.activity_id)
                >= ((SELECT one.from_at FROM one), (SELECT one.from_id FROM one))
            AND (sqlc.narg(since)::timestamptz IS NULL OR t.created_at >= sqlc.narg(since))
            AND (sqlc.narg(until)::timestamptz IS NULL OR t.created_at < sqlc.narg(until))
            AND (sqlc.narg(before_at)::timestamptz IS NULL
                 OR (t.created_at, t.activity_id) < (sqlc.narg(before_at), @before_id::bigint))
          ORDER BY t.created_at DESC, t.activity_id DESC
          LIMIT 501) e
    WHERE e.n >= 500
), fast AS (
    -- Quick is the answer when the page is full (filled); when no entry with the word
    -- was left unseen: the listing is whole, or cut before the date range starts, and
    -- holds at most the 500 entries quick looked up (whole); and, on a page without a
    -- person, action or type to read the log by, when quick looked up 500 entries
    -- (stop): reading the log would then go through the log's newest entries, like the
    -- listing, at more cost, so the page stops at the 500th entry instead, and its next
    -- page goes on from there.
    SELECT f.filled OR f.whole OR f.stop AS used,
           f.stop AND NOT f.filled AND NOT f.whole AS stopped
    FROM (SELECT @search::text <> '' AND coalesce(EXISTS (SELECT 1 FROM one)
                 AND (SELECT count(*) FROM quick) >= sqlc.narg(max_rows), false) AS filled,
                 @search::text <> '' AND coalesce(EXISTS (SELECT 1 FROM one)
                 AND ((SELECT one.whole FROM one)
                      OR sqlc.narg(since)::timestamptz > (SELECT one.from_at FROM one))
                 AND NOT EXISTS (SELECT 1 FROM edge WHERE edge.n = 501), false) AS whole,
                 @search::text <> '' AND sqlc.narg(scan_rows)::int IS NOT NULL
                 AND sqlc.narg(actor_id)::uuid IS NULL AND @action::text = ''
                 AND @target_type::text = ''
                 AND coalesce(NOT (SELECT one.whole FROM one), false)
                 AND EXISTS (SELECT 1 FROM edge) AS stop) f
), hits AS MATERIALIZED (
    SELECT t.activity_id, t.created_at
    FROM activity_term t
    WHERE t.org_id = @org_id AND @search::text <> ''
      AND t.term ^@ activity_search_term(@search)
    LIMIT 5001
), way AS (
    SELECT @search = ''
           OR EXISTS (SELECT 1 FROM activity_common_term c
                      WHERE c.org_id = @org_id AND c.term ^@ activity_search_term(@search))
           OR (SELECT count(*) FROM hits) > 5000
           AS read_log
)
(SELECT quick.id, quick.created_at, quick.actor_id, quick.actor_name, quick.action,
        quick.target_type, quick.target_id, quick.summary, quick.matched
 FROM quick
 WHERE (SELECT fast.used FROM fast))
UNION ALL
-- Where quick stopped looking, when it stopped before the page was full.
(SELECT e.id, e.created_at, e.actor_id, e.actor_name, e.action, e.target_type,
        e.target_id, e.summary, false AS matched
 FROM edge
 JOIN activity e ON e.org_id = @org_id AND e.id = edge.activity_id
 WHERE edge.n = 500 AND (SELECT fast.stopped FROM fast))
UNION ALL
(SELECT s.id, s.created_at, s.actor_id, s.actor_name, s.action, s.target_type,
        s.target_id, s.summary, s.matched
 FROM (SELECT a.id, a.created_at, a.actor_id, a.actor_name, a.action, a.target_type,
              a.target_id, a.summary,
              coalesce(@search = ''
                       OR ((strpos(lower(a.summary), activity_search_term(@search)) > 0
                            OR strpos(lower(a.actor_name), activity_search_term(@search)) > 0)
                           AND (a.summary || E'\n' || a.actor_name)
                               ~* activity_search_pattern(@search)),
                       false)::boolean AS matched,
              row_number() OVER (ORDER BY a.created_at DESC, a.id DESC) AS seen
       FROM activity a
       WHERE NOT (SELECT fast.used FROM fast) AND (SELECT way.read_log FROM way)
         AND a.org_id = @org_id
         AND (sqlc.narg(actor_id)::uuid IS NULL OR a.actor_id = sqlc.narg(actor_id))
         AND (@action::text = '' OR a.action = @action)
         AND (@target_type::text = '' OR a.target_type = @target_type)
         AND (sqlc.narg(since)::timestamptz IS NULL OR a.created_at >= sqlc.narg(since))
         AND (sqlc.narg(until)::timestamptz IS NULL OR a.created_at < sqlc.narg(until))
         AND (sqlc.narg(before_at)::timestamptz IS NULL
              OR (a.created_at, a.id) < (sqlc.narg(before_at), @before_id::bigint))
       ORDER BY a.created_at DESC, a.id DESC
       LIMIT sqlc.narg(scan_rows)) s
 WHERE s.matched OR s.seen = sqlc.narg(scan_rows)
 ORDER BY s.created_at DESC, s.id DESC
 LIMIT sqlc.narg(max_rows))
UNION ALL
(SELECT a.id, h.created_at, a.actor_id, a.actor_name, a.action, a.target_type,
        a.target_id, a.summary, true AS matched
 FROM (SELECT hits.activity_id, hits.created_at
       FROM hits
       WHERE NOT (SELECT fast.used FROM fast) AND NOT (SELECT way.read_log FROM way)
         AND (sqlc.narg(since)::timestamptz IS NULL OR hits.created_at >= sqlc.narg(since))
         AND (sqlc.narg(until)::timestamptz IS NULL OR hits.created_at < sqlc.narg(until))
         AND (sqlc.narg(before_at)::timestamptz IS NULL
              OR (hits.created_at, hits.activity_id)
                 < (sqlc.narg(before_at), @before_id::bigint))
       ORDER BY hits.created_at DESC, hits.activity_id DESC
       LIMIT 5001) h
 -- One entry looked up per hit, newest first, until the page is full.
 CROSS JOIN LATERAL (
     SELECT e.id, e.actor_id, e.actor_name, e.action, e.target_type, e.target_id, e.summary
     FROM activity e
     WHERE e.org_id = @org_id AND e.id = h.activity_id
       AND (sqlc.narg(actor_id)::uuid IS NULL OR e.actor_id = sqlc.narg(actor_id))
       AND (@action::text = '' OR e.action = @action)
       AND (@target_type::text = '' OR e.target_type = @target_type)
       AND (e.summary || E'\n' || e.actor_name) ~* activity_search_pattern(@search)
     LIMIT 1) a
 ORDER BY h.created_at DESC, h.activity_id DESC
 LIMIT sqlc.narg(max_rows))
ORDER BY created_at DESC, id DESC, matched DESC;

-- name: ListActivityActions :many
-- ListActivityActions returns the actions that occur in the organization's log, in
-- order, reading one index entry per action (a loose index scan) rather than the log.
WITH RECURSIVE found AS (
    (SELECT a.action FROM activity a WHERE a.org_id = @org_id ORDER BY a.action LIMIT 1)
    UNION ALL
    SELECT (SELECT a.action FROM activity a
            WHERE a.org_id = @org_id AND a.action > found.action
            ORDER BY a.action LIMIT 1)
    FROM found
    WHERE found.action IS NOT NULL
)
SELECT found.action::text AS action FROM found WHERE found.action IS NOT NULL;

-- name: ListActivityTargetTypes :many
-- ListActivityTargetTypes returns the target types that occur in the organization's
-- log, in order, by a loose index scan like ListActivityActions.
WITH RECURSIVE found AS (
    (SELECT a.target_type FROM activity a WHERE a.org_id = @org_id
     ORDER BY a.target_type LIMIT 1)
    UNION ALL
    SELECT (SELECT a.target_type FROM activity a
            WHERE a.org_id = @org_id AND a.target_type > found.target_type
            ORDER BY a.target_type LIMIT 1)
    FROM found
    WHERE found.target_type IS NOT NULL
)
SELECT found.target_type::text AS target_type FROM found WHERE found.target_type IS NOT NULL;

-- name: ListActivityActors :many
-- ListActivityActors returns the people whose entries the organization's log may hold:
-- its members, deactivated ones included, and JusB staff, who act in every workspace.
SELECT u.id, u.name, u.is_active, o.is_staff
FROM app_user u
JOIN organization o ON o.id = u.org_id
WHERE u.org_id = @org_id OR o.is_staff
ORDER BY o.is_staff, u.name, u.id;

-- name: CountActivityByActions :one
-- CountActivityByActions counts the organization's entries with one of the actions.
SELECT count(*) FROM activity WHERE org_id = @org_id AND action = ANY (@actions::text[]);

-- name: CreateActivityAt :exec
-- CreateActivityAt writes an entry dated in the past, for the demo data only: the
-- portal's own entries take the time of their transaction (CreateActivity).
INSERT INTO activity (org_id, actor_id, action, target_type, target_id, summary,
                      created_at)
VALUES (@org_id, @actor_id, @action, @target_type, @target_id, @summary, @created_at);
