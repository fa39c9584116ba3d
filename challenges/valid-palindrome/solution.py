def is_palindrome(s):
    """Return True if s reads the same both ways, ignoring case and non-alphanumerics."""
    cleaned = [c.lower() for c in s if c.isalnum()]
    return cleaned == cleaned[::-1]
