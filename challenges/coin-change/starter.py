def coin_change(coins, amount):
    """Return the fewest coins summing to amount, or -1 if impossible.

    coins  -- list of distinct positive ints
    amount -- int >= 0
    """
    raise NotImplementedError
