def two_sum(nums, target):
    """Return [i, j] (i < j) such that nums[i] + nums[j] == target.

    nums   -- list of ints
    target -- int
    """
    raise NotImplementedError
