def top_k_words(words, k):
    """Return the k most frequent words, ties broken alphabetically.

    words -- list of str
    k     -- int
    """
    raise NotImplementedError
