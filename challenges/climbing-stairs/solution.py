def climb_stairs(n):
    """Return the number of ways to climb n steps taking 1 or 2 steps at a time."""
    a, b = 1, 1  # ways(0), ways(1)
    for _ in range(n):
        a, b = b, a + b
    return a
