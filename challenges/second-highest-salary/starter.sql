-- One row per department: department, second_highest.
SELECT department
FROM employees
