def two_sum(nums, target):
    """Return [i, j] (i < j) such that nums[i] + nums[j] == target."""
    seen = {}  # value -> first index where it appeared
    for j, x in enumerate(nums):
        i = seen.get(target - x)
        if i is not None:
            return [i, j]
        if x not in seen:
            seen[x] = j
    return []
