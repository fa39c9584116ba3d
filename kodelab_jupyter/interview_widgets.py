"""The round bar of an interview session notebook (and the answer controls of a round).

The second cell of a session notebook runs ``round_bar(<session id>)``; each quiz,
architecture or modeling round's section runs ``round_controls(<session id>, "<round id>")``.
Both build a :class:`RoundBar`, an anywidget whose Python side knows nothing but the ids:
everything else happens in the browser, in ``static/round_bar.js`` (with
``static/bar_common.js``, the code it shares with the challenge bar), which reads the session
from KodeLab's REST API with the page's own credentials (session cookie plus the ``_xsrf``
cookie), counts down to the server's deadline, renders the round's controls (radio buttons,
checkboxes, dropdowns) from the round's public content, saves drafts, submits, ends the
interview and shows the scorecard. The kernel never holds a token and never calls the API:
nothing synced here is a secret, and no ipywidgets are created in the kernel.
"""

from __future__ import annotations

import re
from typing import Any

import anywidget
import traitlets

from .static_assets import STATIC, bar_css, bar_module

__all__ = [
    "CSS",
    "CSS_PATH",
    "ESM",
    "ESM_PATH",
    "RoundBar",
    "bar_state",
    "round_bar",
    "round_controls",
]

# The round bar's own front-end files; the widget loads ESM and CSS, which are these preceded
# by the code and rules shared with the challenge bar (see static_assets).
ESM_PATH = STATIC / "round_bar.js"
CSS_PATH = STATIC / "round_bar.css"
ESM = bar_module("round_bar")
CSS = bar_css("round_bar", "kodelab-rb")
# The REST routes' syntax (handlers/interviews.py): 1-18 digits, lowercase-dash round ids.
MAX_SESSION_ID = 10**18 - 1
_ROUND_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


def bar_state(session_id: Any, round_id: Any = "") -> dict[str, Any]:
    """The widget's synced state, or ``error`` saying why the ids cannot work.

    Never raises: a bad id shows a readable message in the notebook, not a traceback. An id
    that is well-formed but not one of the user's sessions is reported by the front end
    (the API answers 404), which then sets ``error`` too.
    """
    state: dict[str, Any] = {"session_id": 0, "round_id": "", "error": ""}
    if isinstance(session_id, str) and session_id.strip().isdigit():
        session_id = int(session_id.strip())
    if (
        isinstance(session_id, bool)
        or not isinstance(session_id, int)
        or not 0 < session_id <= MAX_SESSION_ID
    ):
        state["error"] = (
            f"{session_id!r} is not an interview session id (a positive whole number, as in "
            "round_bar(12)). Start an interview from the KodeLab interview lobby."
        )
        return state
    state["session_id"] = session_id
    if round_id:
        if not isinstance(round_id, str) or not _ROUND_ID.match(round_id):
            state["error"] = (
                f"{round_id!r} is not a round id (lowercase letters, digits and single dashes)."
            )
            return state
        state["round_id"] = round_id
    return state


class RoundBar(anywidget.AnyWidget):
    """The session's round bar (``round_id`` empty) or one round's controls.

    Synced state is public information only; API calls are made by the front end.
    """

    _esm = ESM
    _css = CSS

    session_id = traitlets.Int(0).tag(sync=True)
    # Empty: the whole bar (round N of M, countdown, Submit, End interview, scorecard).
    # A round id: that round's answer controls (and its own Submit), for its section.
    round_id = traitlets.Unicode("").tag(sync=True)
    # Non-empty when the bar cannot work (bad id, or the server does not know the session):
    # the front end shows only this. The front end sets it when the API says 404.
    error = traitlets.Unicode("").tag(sync=True)


def round_bar(session_id: Any) -> RoundBar:
    """The round bar of session ``session_id``; Jupyter displays it as the cell's value."""
    return RoundBar(**bar_state(session_id))


def round_controls(session_id: Any, round_id: str) -> RoundBar:
    """The answer controls of one quiz, architecture or modeling round of the session."""
    state = bar_state(session_id, round_id)
    if not state["error"] and not state["round_id"]:
        state["error"] = "round_controls needs a round id, as in round_controls(12, 'quiz')."
    return RoundBar(**state)
