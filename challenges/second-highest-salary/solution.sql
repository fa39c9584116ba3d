WITH ranked AS (
    SELECT
        department,
        salary,
        DENSE_RANK() OVER (PARTITION BY department ORDER BY salary DESC) AS salary_rank
    FROM employees
    WHERE salary IS NOT NULL
),
departments AS (
    SELECT DISTINCT department FROM employees
)
SELECT
    d.department,
    MAX(r.salary) AS second_highest
FROM departments AS d
LEFT JOIN ranked AS r
    ON r.department = d.department AND r.salary_rank = 2
GROUP BY d.department;
