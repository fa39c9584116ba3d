import pandas as pd


def pivot_sales(df: pd.DataFrame) -> pd.DataFrame:
    """Return one row per store with a column of total units per month (0 if none).

    df -- DataFrame with columns store, month, units
    """
    raise NotImplementedError
