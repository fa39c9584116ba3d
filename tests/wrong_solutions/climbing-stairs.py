# WRONG on purpose: treats n = 0 as "no way" instead of one way.
def climb_stairs(n):
    if n <= 0:
        return 0
    a, b = 1, 1
    for _ in range(n):
        a, b = b, a + b
    return a
