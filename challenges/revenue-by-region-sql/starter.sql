-- One row per region: region, orders, revenue.
SELECT region
FROM orders
