-- name: AddRateCountGlobal :exec
-- AddRateCountGlobal adds n requests to a rate limit's key in the window starting at
-- window_start. The table holds no organization's data (see its migration).
INSERT INTO rate_count (key, window_start, count)
VALUES (@key, @window_start, @n)
ON CONFLICT (key, window_start) DO UPDATE SET count = rate_count.count + EXCLUDED.count;

-- name: GetRateCountsGlobal :one
-- GetRateCountsGlobal returns a key's counts in the current and the previous window.
SELECT coalesce(sum(count) FILTER (WHERE window_start = @current_window), 0)::integer
           AS current_count,
       coalesce(sum(count) FILTER (WHERE window_start = @previous_window), 0)::integer
           AS previous_count
FROM rate_count
WHERE key = @key AND window_start IN (@current_window, @previous_window);

-- name: DeleteOldRateCountsGlobal :execrows
-- DeleteOldRateCountsGlobal removes the windows that started before the given time.
DELETE FROM rate_count WHERE window_start < @before;
