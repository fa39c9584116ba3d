# WRONG on purpose: greedy, always takes as many of the largest coin as possible.
# Works for [1, 2, 5] but not for [1, 3, 4] and 6 (4+1+1 instead of 3+3).
def coin_change(coins, amount):
    count = 0
    for c in sorted(coins, reverse=True):
        count += amount // c
        amount %= c
    return count if amount == 0 else -1
