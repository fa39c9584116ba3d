# WRONG on purpose: forgets that pivot_table averages by default, so repeated
# store/month rows are averaged instead of summed.
import pandas as pd


def pivot_sales(df: pd.DataFrame) -> pd.DataFrame:
    wide = df.pivot_table(index="store", columns="month", values="units", fill_value=0)
    return wide.reset_index()
