import pandas as pd


def sessionize(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    """Split each user's events into sessions separated by gaps > gap_minutes."""
    df = events[["user_id"]].copy()
    df["ts"] = pd.to_datetime(events["ts"], format="%Y-%m-%d %H:%M:%S")
    df = df.sort_values(["user_id", "ts"], kind="stable")
    gap = df.groupby("user_id")["ts"].diff()
    new_session = gap.isna() | (gap > pd.Timedelta(minutes=gap_minutes))
    df["session"] = new_session.astype(int).groupby(df["user_id"]).cumsum()
    out = (
        df.groupby(["user_id", "session"], sort=True)["ts"]
        .agg(start="min", end="max", events="count")
        .reset_index()
    )
    fmt = "%Y-%m-%d %H:%M:%S"
    out["start"] = out["start"].dt.strftime(fmt)
    out["end"] = out["end"].dt.strftime(fmt)
    return out[["user_id", "session", "start", "end", "events"]]
