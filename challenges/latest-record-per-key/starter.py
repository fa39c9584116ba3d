import pandas as pd


def latest_per_customer(df: pd.DataFrame) -> pd.DataFrame:
    """Keep the latest row per customer_id (ties: last in input), sorted by customer_id.

    df -- DataFrame with columns customer_id, updated_at, email, plan
    """
    raise NotImplementedError
