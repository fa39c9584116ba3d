# WRONG on purpose: checks for the end word before checking that it is in the word
# list, so an end word that is one letter away but not allowed is still "reached".
from collections import deque
from string import ascii_lowercase


def ladder_length(begin, end, word_list):
    allowed = set(word_list)
    if not allowed:
        return 0
    seen = {begin}
    queue = deque([(begin, 1)])
    while queue:
        word, depth = queue.popleft()
        for i in range(len(word)):
            for c in ascii_lowercase:
                cand = word[:i] + c + word[i + 1:]
                if cand == end:
                    return depth + 1
                if cand in allowed and cand not in seen:
                    seen.add(cand)
                    queue.append((cand, depth + 1))
    return 0
