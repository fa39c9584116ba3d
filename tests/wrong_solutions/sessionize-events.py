# WRONG on purpose: starts a new session when the gap is >= gap_minutes, so a gap of
# exactly gap_minutes wrongly splits the session (the statement says strictly greater).
import pandas as pd


def sessionize(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    df = events.copy()
    df["ts"] = pd.to_datetime(df["ts"])
    df = df.sort_values(["user_id", "ts"])
    gap = df.groupby("user_id")["ts"].diff()
    df["session"] = (gap.isna() | (gap >= pd.Timedelta(minutes=gap_minutes))).astype(int)
    df["session"] = df.groupby("user_id")["session"].cumsum()
    out = df.groupby(["user_id", "session"])["ts"].agg(["min", "max", "count"]).reset_index()
    out.columns = ["user_id", "session", "start", "end", "events"]
    out["start"] = out["start"].dt.strftime("%Y-%m-%d %H:%M:%S")
    out["end"] = out["end"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return out
