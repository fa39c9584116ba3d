import pandas as pd


def latest_per_customer(df: pd.DataFrame) -> pd.DataFrame:
    """Keep the latest row per customer_id (ties: last in input), sorted by customer_id."""
    out = df.assign(_ts=pd.to_datetime(df["updated_at"]), _pos=range(len(df)))
    out = out.sort_values(["customer_id", "_ts", "_pos"], kind="stable")
    out = out.drop_duplicates("customer_id", keep="last")
    return out[["customer_id", "updated_at", "email", "plan"]].reset_index(drop=True)
