import pandas as pd


def revenue_by_region(df: pd.DataFrame) -> pd.DataFrame:
    """Return columns [region, revenue], sorted by revenue desc then region asc.

    df -- DataFrame with columns order_id, region, amount
    """
    raise NotImplementedError
