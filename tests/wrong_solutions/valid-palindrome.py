# WRONG on purpose: keeps only letters (isalpha), so digits are dropped ("0P" -> True).
def is_palindrome(s):
    cleaned = "".join(c.lower() for c in s if c.isalpha())
    return cleaned == cleaned[::-1]
