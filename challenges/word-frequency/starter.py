def word_counts(text):
    """Return a dict {lowercased word: count} for the ASCII-letter words in text.

    text -- str
    """
    raise NotImplementedError
