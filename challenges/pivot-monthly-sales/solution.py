import pandas as pd


def pivot_sales(df: pd.DataFrame) -> pd.DataFrame:
    """Return one row per store with a column of total units per month (0 if none)."""
    wide = df.pivot_table(index="store", columns="month", values="units",
                          aggfunc="sum", fill_value=0)
    wide = wide.sort_index().sort_index(axis=1)
    wide.columns.name = None
    return wide.reset_index()
