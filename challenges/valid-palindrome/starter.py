def is_palindrome(s):
    """Return True if s reads the same both ways, ignoring case and non-alphanumerics.

    s -- str
    """
    raise NotImplementedError
