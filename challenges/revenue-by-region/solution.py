import pandas as pd


def revenue_by_region(df: pd.DataFrame) -> pd.DataFrame:
    """Return columns [region, revenue], sorted by revenue desc then region asc."""
    out = (
        df.groupby("region", dropna=True)["amount"]
        .sum(min_count=0)
        .rename("revenue")
        .reset_index()
    )
    out = out.sort_values(["revenue", "region"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[["region", "revenue"]]
