# WRONG on purpose: the key is the *set* of letters, so "aab" and "abb" end up together.
def group_anagrams(words):
    groups = {}
    for w in words:
        groups.setdefault(frozenset(w), []).append(w)
    return list(groups.values())
