def network_delay(n, edges, source):
    """Return the time until every node has the signal sent from source, or -1.

    n      -- number of nodes (0 .. n-1)
    edges  -- list of [u, v, w]: directed link u -> v taking w seconds
    source -- starting node
    """
    raise NotImplementedError
