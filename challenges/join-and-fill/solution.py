import pandas as pd


def enrich_orders(orders: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Left-join customers onto orders, fill gaps, sort by order_id."""
    out = orders.merge(customers[["customer_id", "name", "country"]],
                       on="customer_id", how="left")
    out["amount"] = out["amount"].fillna(0)
    out["name"] = out["name"].fillna("unknown")
    out["country"] = out["country"].fillna("unknown")
    out = out.sort_values("order_id", kind="stable")
    return out[["order_id", "customer_id", "amount", "name", "country"]].reset_index(drop=True)
