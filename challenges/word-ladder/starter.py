def ladder_length(begin, end, word_list):
    """Return the number of words in the shortest ladder from begin to end, or 0.

    begin, end -- str of equal length
    word_list  -- list of str
    """
    raise NotImplementedError
