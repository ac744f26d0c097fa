-- migrate:up

-- The staff view reads the activity log across organizations (GET /admin/activity, as
-- portal_staff). Its pages have the same filters and the same order as an
-- organization's log, but no org_id to lead with: without these indexes every global
-- page would read the whole table and sort it. Each ends in the page order
-- (created_at DESC, id DESC), so that a page reads about 50 index entries however long
-- the log has grown. With an organization chosen, the org-leading indexes of
-- 20261203110100_activity_search.sql serve as in the workspace.
CREATE INDEX activity_recent_idx ON activity (created_at DESC, id DESC);
CREATE INDEX activity_actor_idx ON activity (actor_id, created_at DESC, id DESC);
CREATE INDEX activity_action_idx ON activity (action, created_at DESC, id DESC);
CREATE INDEX activity_target_idx ON activity (target_type, created_at DESC, id DESC);

-- The global search finds its words in the word index without an organization: the
-- primary key leads with org_id, this one with the word (a prefix range; term has the
-- C collation, so ^@ can use a btree). The common words are looked up by word alone.
CREATE INDEX activity_term_global_idx ON activity_term (term, created_at, activity_id);
CREATE INDEX activity_common_term_global_idx ON activity_common_term (term);

-- Organizations are listed by name and filtered by name or slug as staff type.
CREATE INDEX organization_name_idx ON organization (name, id);

-- migrate:down
DROP INDEX organization_name_idx;
DROP INDEX activity_common_term_global_idx;
DROP INDEX activity_term_global_idx;
DROP INDEX activity_target_idx;
DROP INDEX activity_action_idx;
DROP INDEX activity_actor_idx;
DROP INDEX activity_recent_idx;
