# WRONG on purpose: idxmax returns the FIRST row holding the maximum, so on a tie of
# updated_at the earlier row wins instead of the last one.
import pandas as pd


def latest_per_customer(df: pd.DataFrame) -> pd.DataFrame:
    ts = pd.to_datetime(df["updated_at"])
    idx = ts.groupby(df["customer_id"]).idxmax()
    out = df.loc[idx.values, ["customer_id", "updated_at", "email", "plan"]]
    return out.sort_values("customer_id").reset_index(drop=True)
