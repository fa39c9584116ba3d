# WRONG on purpose: rolls over ROWS instead of calendar days, so missing days are not
# counted and several rows on one day are treated as separate days.
import pandas as pd


def rolling_7day(df: pd.DataFrame) -> list:
    s = df.sort_values("date")["sales"].astype(float)
    return s.rolling(7, min_periods=1).mean().tolist()
