# WRONG on purpose: Counter.most_common breaks ties by first appearance, not alphabetically.
from collections import Counter


def top_k_words(words, k):
    return [w for w, _ in Counter(words).most_common(k)]
