def climb_stairs(n):
    """Return the number of ways to climb n steps taking 1 or 2 steps at a time.

    n -- int, 0 <= n <= 1000
    """
    raise NotImplementedError
