WITH flagged AS (
    SELECT
        user_id,
        ts,
        CASE
            WHEN LAG(ts) OVER (PARTITION BY user_id ORDER BY ts) IS NULL
              OR ts - LAG(ts) OVER (PARTITION BY user_id ORDER BY ts) > INTERVAL 30 MINUTE
            THEN 1 ELSE 0
        END AS starts_session
    FROM clicks
    WHERE ts IS NOT NULL
),
numbered AS (
    SELECT
        user_id,
        ts,
        SUM(starts_session) OVER (
            PARTITION BY user_id ORDER BY ts
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS session_number
    FROM flagged
)
SELECT
    user_id,
    session_number,
    MIN(ts) AS session_start,
    MAX(ts) AS session_end,
    COUNT(*) AS clicks
FROM numbered
GROUP BY user_id, session_number
ORDER BY user_id, session_number;
