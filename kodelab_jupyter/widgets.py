"""The challenge bar shown at the top of a challenge notebook.

The second cell of every challenge notebook runs ``challenge_bar('<id>')``. That builds a
:class:`ChallengeBar`, an anywidget whose Python side only knows the challenge's public
facts (title, difficulty, time limit), read from the challenge catalog in the kernel's own
environment. Everything else happens in the browser, in ``static/challenge_bar.js`` (with
``static/bar_common.js``, the code it shares with the interview round bar): it
starts the challenge, counts down to the server's deadline, saves the notebook, runs the
visible tests, submits, polls for the verdict and lists the unlocked hints, all through
KodeLab's REST API with the page's own credentials (session cookie plus the ``_xsrf``
cookie). The kernel never holds a server token and never calls the API, so nothing in this
module (or in the widget state it syncs) is a secret.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .content.catalog import SHIPPED_CHALLENGES, Catalog
from .static_assets import STATIC, bar_css, bar_module

__all__ = ["ChallengeBar", "bar_info", "challenge_bar", "challenge_directories"]

# The challenge bar's own front-end files; the widget loads ESM and CSS, which are these
# preceded by the code and rules shared with the round bar (see static_assets).
ESM_PATH = STATIC / "challenge_bar.js"
CSS_PATH = STATIC / "challenge_bar.css"
ESM = bar_module("challenge_bar")
CSS = bar_css("challenge_bar", "kodelab-bar")
PATH_ENV = "KODELAB_CHALLENGE_PATH"
# The same id syntax the REST routes accept (handlers/challenges.py).
_CHALLENGE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


def challenge_directories() -> list[Path]:
    """Directories searched for challenges: ``$KODELAB_CHALLENGE_PATH``, then the library.

    The order matches the server's (configured directories before the shipped library), so
    an id defined in both resolves to the same challenge in the kernel and on the server.
    """
    extra = os.environ.get(PATH_ENV, "")
    dirs = [Path(p) for p in extra.split(os.pathsep) if p]
    if SHIPPED_CHALLENGES.is_dir():
        dirs.append(SHIPPED_CHALLENGES)
    return dirs


def bar_info(challenge_id: str) -> dict[str, Any]:
    """The bar's state for ``challenge_id``: its public facts, or ``error`` saying why not.

    Never raises for a bad or unknown id: the notebook should show a readable message, not a
    traceback, in the cell the student did not write.
    """
    info: dict[str, Any] = {
        "challenge_id": challenge_id if isinstance(challenge_id, str) else "",
        "title": "",
        "difficulty": "",
        "time_limit_minutes": 0,
        "error": "",
    }
    if not isinstance(challenge_id, str) or not _CHALLENGE_ID.match(challenge_id):
        info["error"] = (
            f"{challenge_id!r} is not a valid challenge id (lowercase letters, digits and "
            "single dashes, such as 'two-sum')."
        )
        return info
    directories = challenge_directories()
    try:
        catalog = Catalog(directories)
    except OSError as exc:
        info["error"] = f"Could not read the challenge library: {exc}"
        return info
    challenge = catalog.challenges.get(challenge_id)
    if challenge is None:
        searched = ", ".join(str(d) for d in directories) or "(no directories)"
        message = (
            f"Unknown challenge '{challenge_id}': it is not in the challenge library "
            f"(searched {searched}; add directories with {PATH_ENV})."
        )
        problems = [str(i) for i in catalog.issues if challenge_id in Path(i.path).parts]
        if problems:
            message += " A challenge folder of that name failed to load: " + problems[0]
        info["error"] = message
        return info
    spec = challenge.spec
    info.update(
        title=spec.title,
        difficulty=spec.difficulty,
        time_limit_minutes=int(spec.time_limit_minutes or 0),
    )
    return info


class ChallengeBar(anywidget.AnyWidget):
    """Title, difficulty, countdown, Run tests / Submit / Hints and the results of a challenge.

    Synced state is public information only; API calls are made by the front end.
    """

    _esm = ESM
    _css = CSS

    challenge_id = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    difficulty = traitlets.Unicode("").tag(sync=True)
    time_limit_minutes = traitlets.Int(0).tag(sync=True)
    # Non-empty when the bar cannot work (unknown id, ...): the front end shows only this.
    error = traitlets.Unicode("").tag(sync=True)


def challenge_bar(challenge_id: str) -> ChallengeBar:
    """The bar for ``challenge_id``; Jupyter displays it as the cell's last expression."""
    return ChallengeBar(**bar_info(challenge_id))
