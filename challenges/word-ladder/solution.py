from collections import deque
from string import ascii_lowercase


def ladder_length(begin, end, word_list):
    """Return the number of words in the shortest ladder from begin to end, or 0."""
    remaining = set(word_list)
    if end not in remaining:
        return 0
    remaining.discard(begin)
    queue = deque([(begin, 1)])
    while queue:
        word, depth = queue.popleft()
        chars = list(word)
        for i, original in enumerate(chars):
            for c in ascii_lowercase:
                if c == original:
                    continue
                chars[i] = c
                cand = "".join(chars)
                if cand in remaining:
                    if cand == end:
                        return depth + 1
                    remaining.discard(cand)
                    queue.append((cand, depth + 1))
            chars[i] = original
    return 0
