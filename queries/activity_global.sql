-- The activity log across organizations, for JusB staff (GET /admin/activity). These
-- queries run only on the staff path (db.Store's staff pool), hence the suffix Global.
-- Each mirrors its workspace query in activity.sql with the organization optional: the
-- indexes of 20261203120300_staff_view.sql serve them when none is chosen.

-- name: ListActivityGlobal :many
-- ListActivityGlobal is ListActivity (see activity.sql for how it reads the log) over
-- every organization, or over one when org_id is set, with each entry's organization.
-- Across organizations, a word's listing is whole from the latest of its cuts on.
WITH one AS MATERIALIZED (
    SELECT w.term, cut.at IS NULL AS whole, coalesce(cut.at, '-infinity') AS from_at,
           coalesce(cut.id, 0) AS from_id
    FROM (SELECT min(t.term) AS term, max(t.term) AS last
          FROM activity_term t
          WHERE (sqlc.narg(org_id)::uuid IS NULL OR t.org_id = sqlc.narg(org_id))
            AND @search::text <> ''
            AND t.term ^@ activity_search_term(@search)) w
    LEFT JOIN LATERAL (
        SELECT c.listed_from_at AS at, c.listed_from_id AS id
        FROM activity_common_term c
        WHERE (sqlc.narg(org_id)::uuid IS NULL OR c.org_id = sqlc.narg(org_id))
          AND c.term = w.term AND c.listed_from_at IS NOT NULL
        ORDER BY c.listed_from_at DESC, c.listed_from_id DESC
        LIMIT 1) cut ON true
    WHERE w.term = w.last
), quick AS MATERIALIZED (
    SELECT a.id, a.org_id, h.created_at, a.actor_id, a.actor_name, a.action,
           a.target_type, a.target_id, a.summary, true AS matched
    FROM (SELECT t.activity_id, t.created_at
          FROM activity_term t
          WHERE @search::text <> ''
            AND (sqlc.narg(org_id)::uuid IS NULL OR t.org_id = sqlc.narg(org_id))
            AND t.term = (SELECT one.term FROM one)
            AND (t.created_at, t.activity_id)
                >= ((SELECT one.from_at FROM one), (SELECT one.from_id FROM one))
            AND (sqlc.narg(since)::timestamptz IS NULL OR t.created_at >= sqlc.narg(since))
            AND (sqlc.narg(until)::timestamptz IS NULL OR t.created_at < sqlc.narg(until))
            AND (sqlc.narg(before_at)::timestamptz IS NULL
                 OR (t.created_at, t.activity_id) < (sqlc.narg(before_at), @before_id::bigint))
          ORDER BY t.created_at DESC, t.activity_id DESC
          LIMIT 500) h
    JOIN activity a ON a.id = h.activity_id
    WHERE (sqlc.narg(org_id)::uuid IS NULL OR a.org_id = sqlc.narg(org_id))
      AND (sqlc.narg(actor_id)::uuid IS NULL OR a.actor_id = sqlc.narg(actor_id))
      AND (@action::text = '' OR a.action = @action)
      AND (@target_type::text = '' OR a.target_type = @target_type)
      AND (a.summary || E'\n' || a.actor_name) ~* activity_search_pattern(@search)
    ORDER BY h.created_at DESC, h.activity_id DESC
    LIMIT sqlc.narg(max_rows)
), edge AS MATERIALIZED (
    -- As in ListActivity: the listing's 500th and 501st entries, if it holds that many.
    SELECT e.activity_id, e.created_at, e.n
    FROM (SELECT t.activity_id, t.created_at,
                 row_number() OVER (ORDER BY t.created_at DESC, t.activity_id DESC) AS n
          FROM activity_term t
          WHERE @search::text <> ''
            AND (sqlc.narg(org_id)::uuid IS NULL OR t.org_id = sqlc.narg(org_id))
            AND t.term = (SELECT one.term FROM one)
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
    -- As in ListActivity: quick is the answer when it filled the page, saw every entry
    -- with the word, or, with no person, action or type chosen, looked up 500 entries.
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
    WHERE (sqlc.narg(org_id)::uuid IS NULL OR t.org_id = sqlc.narg(org_id))
      AND @search::text <> ''
      AND t.term ^@ activity_search_term(@search)
    LIMIT 5001
), way AS (
    SELECT @search = ''
           OR EXISTS (SELECT 1 FROM activity_common_term c
                      WHERE (sqlc.narg(org_id)::uuid IS NULL OR c.org_id = sqlc.narg(org_id))
                        AND c.term ^@ activity_search_term(@search))
           OR (SELECT count(*) FROM hits) > 5000
           AS read_log
), page AS (
    (SELECT quick.id, quick.org_id, quick.created_at, quick.actor_id, quick.actor_name,
            quick.action, quick.target_type, quick.target_id, quick.summary, quick.matched
     FROM quick
     WHERE (SELECT fast.used FROM fast))
    UNION ALL
    (SELECT e.id, e.org_id, e.created_at, e.actor_id, e.actor_name, e.action,
            e.target_type, e.target_id, e.summary, false AS matched
     FROM edge
     JOIN activity e ON e.id = edge.activity_id
     WHERE edge.n = 500 AND (SELECT fast.stopped FROM fast))
    UNION ALL
    (SELECT s.id, s.org_id, s.created_at, s.actor_id, s.actor_name, s.action,
            s.target_type, s.target_id, s.summary, s.matched
     FROM (SELECT a.id, a.org_id, a.created_at, a.actor_id, a.actor_name, a.action,
                  a.target_type, a.target_id, a.summary,
                  coalesce(@search = ''
                           OR ((a.summary || E'\n' || a.actor_name)
                                   ILIKE '%' || activity_search_term(@search) || '%'
                               AND (a.summary || E'\n' || a.actor_name)
                                   ~* activity_search_pattern(@search)),
                           false)::boolean AS matched,
                  row_number() OVER (ORDER BY a.created_at DESC, a.id DESC) AS seen
           FROM activity a
           WHERE NOT (SELECT fast.used FROM fast) AND (SELECT way.read_log FROM way)
             AND (sqlc.narg(org_id)::uuid IS NULL OR a.org_id = sqlc.narg(org_id))
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
    (SELECT a.id, a.org_id, h.created_at, a.actor_id, a.actor_name, a.action,
            a.target_type, a.target_id, a.summary, true AS matched
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
     CROSS JOIN LATERAL (
         SELECT e.id, e.org_id, e.actor_id, e.actor_name, e.action, e.target_type,
                e.target_id, e.summary
         FROM activity e
         WHERE e.id = h.activity_id
           AND (sqlc.narg(org_id)::uuid IS NULL OR e.org_id = sqlc.narg(org_id))
           AND (sqlc.narg(actor_id)::uuid IS NULL OR e.actor_id = sqlc.narg(actor_id))
           AND (@action::text = '' OR e.action = @action)
           AND (@target_type::text = '' OR e.target_type = @target_type)
           AND (e.summary || E'\n' || e.actor_name) ~* activity_search_pattern(@search)
         LIMIT 1) a
     ORDER BY h.created_at DESC, h.activity_id DESC
     LIMIT sqlc.narg(max_rows))
)
SELECT p.id, p.created_at, p.actor_id, p.actor_name, p.action, p.target_type,
       p.target_id, p.summary, p.matched, p.org_id, o.name AS org_name, o.slug AS org_slug
FROM page p
JOIN organization o ON o.id = p.org_id
ORDER BY p.created_at DESC, p.id DESC, p.matched DESC;

-- name: ListActivityActionsGlobal :many
-- ListActivityActionsGlobal returns the actions in every organization's log, by a loose
-- index scan of activity_action_idx (one probe per distinct action).
WITH RECURSIVE found AS (
    (SELECT a.action FROM activity a ORDER BY a.action LIMIT 1)
    UNION ALL
    SELECT (SELECT a.action FROM activity a WHERE a.action > found.action
            ORDER BY a.action LIMIT 1)
    FROM found
    WHERE found.action IS NOT NULL
)
SELECT found.action::text AS action FROM found WHERE found.action IS NOT NULL;

-- name: ListActivityTargetTypesGlobal :many
-- ListActivityTargetTypesGlobal returns the target types in every organization's log,
-- by a loose index scan of activity_target_idx.
WITH RECURSIVE found AS (
    (SELECT a.target_type FROM activity a ORDER BY a.target_type LIMIT 1)
    UNION ALL
    SELECT (SELECT a.target_type FROM activity a WHERE a.target_type > found.target_type
            ORDER BY a.target_type LIMIT 1)
    FROM found
    WHERE found.target_type IS NOT NULL
)
SELECT found.target_type::text AS target_type FROM found WHERE found.target_type IS NOT NULL;

-- name: ListActivityActorsGlobal :many
-- ListActivityActorsGlobal returns the people the global filter offers: JusB staff,
-- and the members of the chosen organization (none when org_id is not set, so that
-- the select does not list every user of the portal).
SELECT u.id, u.name, u.is_active, o.is_staff
FROM app_user u
JOIN organization o ON o.id = u.org_id
WHERE o.is_staff OR u.org_id = sqlc.narg(org_id)::uuid
ORDER BY o.is_staff, u.name, u.id;
