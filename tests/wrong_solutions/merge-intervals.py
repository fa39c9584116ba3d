# WRONG on purpose: when merging, takes the new interval's end instead of the max of
# both ends, so an interval inside another one shrinks the merged interval.
def merge_intervals(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged
