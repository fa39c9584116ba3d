# WRONG on purpose: splits on whitespace and strips punctuation at the ends only, so
# "one-two" stays one word and digits are kept.
def word_counts(text):
    counts = {}
    for raw in text.lower().split():
        w = raw.strip(".,;:!?'\"")
        if w:
            counts[w] = counts.get(w, 0) + 1
    return counts
