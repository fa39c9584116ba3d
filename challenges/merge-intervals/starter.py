def merge_intervals(intervals):
    """Merge overlapping closed intervals; return them sorted by start.

    intervals -- list of [start, end] int pairs
    """
    raise NotImplementedError
