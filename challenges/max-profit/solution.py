def max_profit(prices):
    """Return the best profit from one buy followed by one later sell (0 if none)."""
    best = 0
    lowest = None
    for p in prices:
        if lowest is None or p < lowest:
            lowest = p
        elif p - lowest > best:
            best = p - lowest
    return best
