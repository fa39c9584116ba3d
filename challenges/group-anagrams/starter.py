def group_anagrams(words):
    """Return a list of anagram groups (each in input order; groups in any order).

    words -- list of lowercase str
    """
    raise NotImplementedError
