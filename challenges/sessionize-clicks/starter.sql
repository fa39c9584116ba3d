-- One row per session: user_id, session_number, session_start, session_end, clicks,
-- ordered by user_id, then session_number.
SELECT user_id
FROM clicks
