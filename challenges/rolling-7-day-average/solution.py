import pandas as pd


def rolling_7day(df: pd.DataFrame) -> list:
    """Return the trailing 7-day average of daily sales for every day in the range."""
    dates = pd.to_datetime(df["date"], format="%Y-%m-%d")
    daily = df["sales"].astype(float).groupby(dates).sum()
    days = pd.date_range(daily.index.min(), daily.index.max(), freq="D")
    daily = daily.reindex(days, fill_value=0.0)
    return daily.rolling(7, min_periods=1).mean().tolist()
