def coin_change(coins, amount):
    """Return the fewest coins summing to amount, or -1 if impossible."""
    inf = amount + 1
    best = [0] + [inf] * amount
    coins = sorted(c for c in coins if c <= amount)
    for a in range(1, amount + 1):
        m = inf
        for c in coins:
            if c > a:
                break
            v = best[a - c]
            if v < m:
                m = v
        best[a] = m + 1 if m < inf else inf
    return best[amount] if best[amount] < inf else -1
