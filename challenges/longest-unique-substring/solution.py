def longest_unique(s):
    """Return the length of the longest substring of s without repeated characters."""
    last = {}
    start = 0
    best = 0
    for i, c in enumerate(s):
        j = last.get(c)
        if j is not None and j >= start:
            start = j + 1
        last[c] = i
        if i - start + 1 > best:
            best = i - start + 1
    return best
