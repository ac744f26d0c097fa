-- migrate:up

-- task_org_list_idx serves the task list in its order (queries/task.sql, ListTasks):
-- tasks not done before done ones, each by due date with undated tasks last, then by
-- creation. Its keys are the same expressions as the query's ORDER BY and keyset
-- condition, so every page, the first as a later one, is one index range scan.
CREATE INDEX task_org_list_idx ON task
    (org_id, (status = 'done'), (COALESCE(due_date, DATE '9999-12-31')), created_at, id);

-- migrate:down
DROP INDEX task_org_list_idx;
