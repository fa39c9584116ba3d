def count_islands(grid):
    """Return the number of 4-connected islands of '1' cells in grid.

    grid -- list of equal-length strings of '0' / '1'
    """
    raise NotImplementedError
