import heapq
from collections import Counter


def top_k_words(words, k):
    """Return the k most frequent words, ties broken alphabetically."""
    counts = Counter(words)
    return heapq.nsmallest(k, counts, key=lambda w: (-counts[w], w))
