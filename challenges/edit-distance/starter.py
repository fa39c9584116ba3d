def edit_distance(a, b):
    """Return the Levenshtein distance between strings a and b.

    a, b -- str
    """
    raise NotImplementedError
