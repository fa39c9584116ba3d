def group_anagrams(words):
    """Return a list of anagram groups (each in input order; groups in any order)."""
    groups = {}
    for w in words:
        groups.setdefault("".join(sorted(w)), []).append(w)
    return list(groups.values())
