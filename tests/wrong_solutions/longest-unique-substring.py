# WRONG on purpose: jumps the window start to last[c] + 1 even when that occurrence is
# already outside the window, so the start can move backwards ("abba" -> 3).
def longest_unique(s):
    last = {}
    start = 0
    best = 0
    for i, c in enumerate(s):
        if c in last:
            start = last[c] + 1
        last[c] = i
        best = max(best, i - start + 1)
    return best
