import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z]+")


def word_counts(text):
    """Return a dict {lowercased word: count} for the ASCII-letter words in text."""
    return dict(Counter(w.lower() for w in _WORD.findall(text)))
