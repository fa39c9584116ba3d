# WRONG on purpose: the inner loop starts at i, so a single element can be used twice
# (e.g. [3, 2, 4], 6 -> [0, 0]); it is also O(n^2).
def two_sum(nums, target):
    for i in range(len(nums)):
        for j in range(i, len(nums)):
            if nums[i] + nums[j] == target:
                return [i, j]
    return []
