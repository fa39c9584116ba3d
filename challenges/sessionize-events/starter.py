import pandas as pd


def sessionize(events: pd.DataFrame, gap_minutes: int = 30) -> pd.DataFrame:
    """Split each user's events into sessions separated by gaps > gap_minutes.

    events      -- DataFrame with columns user_id, ts ('YYYY-MM-DD HH:MM:SS'), event
    gap_minutes -- a gap strictly greater than this starts a new session
    Returns columns user_id, session, start, end, events sorted by user_id, session.
    """
    raise NotImplementedError
