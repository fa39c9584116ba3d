# WRONG on purpose: dropna() before grouping also drops orders with a missing amount,
# so a region whose amounts are all missing disappears instead of showing revenue 0.
import pandas as pd


def revenue_by_region(df: pd.DataFrame) -> pd.DataFrame:
    clean = df.dropna()
    out = clean.groupby("region")["amount"].sum().rename("revenue").reset_index()
    out = out.sort_values(["revenue", "region"], ascending=[False, True])
    return out.reset_index(drop=True)
