import pandas as pd


def rolling_7day(df: pd.DataFrame) -> list:
    """Return the trailing 7-day average of daily sales for every day in the range.

    df -- DataFrame with columns date ('YYYY-MM-DD' str), sales (float)
    """
    raise NotImplementedError
