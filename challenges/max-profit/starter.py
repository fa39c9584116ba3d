def max_profit(prices):
    """Return the best profit from one buy followed by one later sell (0 if none).

    prices -- list of ints
    """
    raise NotImplementedError
