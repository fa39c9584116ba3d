def longest_unique(s):
    """Return the length of the longest substring of s without repeated characters.

    s -- str
    """
    raise NotImplementedError
