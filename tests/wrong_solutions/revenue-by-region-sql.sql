-- WRONG on purpose: counts only non-NULL amounts, keeps a NULL region and a NULL revenue.
SELECT region, COUNT(amount) AS orders, SUM(amount) AS revenue
FROM orders
GROUP BY region;
