-- Revenue per region: NULL amounts count as 0, orders without a region are left out.
SELECT
    region,
    COUNT(*) AS orders,
    COALESCE(SUM(amount), 0) AS revenue
FROM orders
WHERE region IS NOT NULL
GROUP BY region;
