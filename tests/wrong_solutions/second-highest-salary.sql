-- WRONG on purpose: ROW_NUMBER splits ties, and the inner join drops departments
-- that have no second salary.
SELECT department, salary AS second_highest
FROM (
    SELECT department, salary,
           ROW_NUMBER() OVER (PARTITION BY department ORDER BY salary DESC) AS rn
    FROM employees
) AS ranked
WHERE rn = 2;
