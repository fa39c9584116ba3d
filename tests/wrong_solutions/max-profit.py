# WRONG on purpose: reads prices[0] without checking for an empty list (IndexError on []).
def max_profit(prices):
    lowest = prices[0]
    best = 0
    for p in prices[1:]:
        lowest = min(lowest, p)
        best = max(best, p - lowest)
    return best
