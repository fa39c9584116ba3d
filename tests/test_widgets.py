"""The challenge bar widget: its synced state, error state and the ESM's token hygiene.

What the bar does in a browser (countdown, save, run, submit, verdicts) is tested separately;
here we check the Python side and what can be checked statically about the ESM.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import ipywidgets
import pytest

from kodelab_jupyter.content.catalog import SHIPPED_CHALLENGES, Catalog
from kodelab_jupyter.content.notebook import build_notebook
from kodelab_jupyter.static_assets import STATIC
from kodelab_jupyter.widgets import (
    CSS,
    CSS_PATH,
    ESM,
    ESM_PATH,
    ChallengeBar,
    bar_info,
    challenge_bar,
    challenge_directories,
)

PUBLIC_TRAITS = {"challenge_id", "title", "difficulty", "time_limit_minutes", "error"}
SECRET_WORDS = ("token", "xsrf", "cookie", "secret", "password", "auth", "url", "key")


@pytest.fixture(autouse=True)
def _no_extra_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KODELAB_CHALLENGE_PATH", raising=False)


def _code_of(js: str) -> str:
    """The ESM without its comments (so prose about tokens does not count)."""
    js = re.sub(r"/\*.*?\*/", "", js, flags=re.S)
    return re.sub(r"(^|\s)//[^\n]*", r"\1", js)


def _synced(widget: ChallengeBar) -> dict[str, object]:
    return {name: getattr(widget, name) for name in PUBLIC_TRAITS}


# -- state --------------------------------------------------------------------------------


def test_shipped_challenge_state() -> None:
    bar = challenge_bar("two-sum")
    assert isinstance(bar, ChallengeBar)
    assert _synced(bar) == {
        "challenge_id": "two-sum",
        "title": "Two Sum",
        "difficulty": "easy",
        "time_limit_minutes": 15,
        "error": "",
    }
    state = bar.get_state()
    for name in PUBLIC_TRAITS:
        assert state[name] == getattr(bar, name)


def test_one_challenge_per_difficulty_matches_its_spec() -> None:
    catalog = Catalog([SHIPPED_CHALLENGES])
    for difficulty in ("easy", "medium", "hard"):
        challenge = catalog.filter(difficulty=difficulty)[0]
        spec = challenge.spec
        info = bar_info(challenge.id)
        assert info["error"] == ""
        assert (info["title"], info["difficulty"], info["time_limit_minutes"]) == (
            spec.title,
            difficulty,
            spec.time_limit_minutes,
        )


def test_challenge_from_kodelab_challenge_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mine" / "my-two-sum"
    shutil.copytree(SHIPPED_CHALLENGES / "two-sum", folder)
    spec = folder / "challenge.yaml"
    text = spec.read_text()
    text = text.replace("id: two-sum", "id: my-two-sum").replace("title: Two Sum", "title: Mine")
    spec.write_text(text.replace("time_limit_minutes: 15", "time_limit_minutes: 0"))
    monkeypatch.setenv("KODELAB_CHALLENGE_PATH", str(tmp_path / "mine"))

    assert challenge_directories()[0] == tmp_path / "mine"
    bar = challenge_bar("my-two-sum")
    assert (bar.title, bar.difficulty, bar.time_limit_minutes, bar.error) == ("Mine", "easy", 0, "")
    assert challenge_bar("two-sum").title == "Two Sum"  # the shipped library still counts


def test_unknown_id_gives_error_state() -> None:
    bar = challenge_bar("no-such-challenge")
    assert bar.challenge_id == "no-such-challenge"
    assert (bar.title, bar.difficulty, bar.time_limit_minutes) == ("", "", 0)
    assert "Unknown challenge 'no-such-challenge'" in bar.error
    assert "KODELAB_CHALLENGE_PATH" in bar.error


@pytest.mark.parametrize("bad", ["../etc/passwd", "Two Sum", "", "two--sum", 42, None])
def test_invalid_id_gives_error_state_not_exception(bad: object) -> None:
    bar = challenge_bar(bad)  # type: ignore[arg-type]
    assert bar.error
    assert bar.title == ""


def test_notebook_bar_cell_builds_the_widget() -> None:
    challenge = Catalog([SHIPPED_CHALLENGES]).get("two-sum")
    cell = build_notebook(challenge).cells[1]
    *setup, last = cell.source.strip().splitlines()
    namespace: dict[str, object] = {}
    exec("\n".join(setup), namespace)
    bar = eval(last, namespace)  # the cell's last expression is what Jupyter displays
    assert isinstance(bar, ChallengeBar)
    assert bar.title == "Two Sum"


# -- no secrets in the kernel ---------------------------------------------------------------


def test_no_trait_holds_a_token_or_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TOKEN", "do-not-leak-0123456789")
    bar = challenge_bar("two-sum")
    # Everything but ipywidgets' own layout traits and anywidget's asset/id traits.
    inherited = set(ipywidgets.DOMWidget().keys) | {"_esm", "_css", "_anywidget_id"}
    ours = set(bar.keys) - inherited
    assert ours == PUBLIC_TRAITS
    for name in ours:
        assert not any(word in name.lower() for word in SECRET_WORDS), name
    state = json.dumps({k: v for k, v in bar.get_state().items() if k in ours})
    assert "do-not-leak" not in state
    assert "http" not in state and "/api/" not in state
    assert "do-not-leak" not in json.dumps(bar.get_state(), default=str)


# -- the ESM --------------------------------------------------------------------------------


def test_esm_and_css_are_the_widget_assets() -> None:
    assert ESM_PATH.is_file() and CSS_PATH.is_file()
    state = challenge_bar("two-sum").get_state()
    assert state["_esm"] == ESM and state["_css"] == CSS
    # The code and rules shared with the round bar, then the challenge bar's own.
    assert ESM.startswith((STATIC / "bar_common.js").read_text().rstrip())
    assert ESM.endswith(ESM_PATH.read_text()) and CSS.endswith(CSS_PATH.read_text())
    assert ".BAR" not in CSS and ".kodelab-bar__timer--warning {" in CSS


def test_esm_parses(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    copy = tmp_path / "challenge_bar.mjs"
    copy.write_text(ESM)
    result = subprocess.run(
        [node, "--check", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "export default" in copy.read_text()


def test_esm_handles_no_token_but_the_xsrf_cookie() -> None:
    code = _code_of(ESM)
    # The only token-ish identifier is the XSRF header name; nothing reads a 'token' field.
    assert set(re.findall(r"\w*token\w*", code, flags=re.I)) == {"XSRFToken"}
    assert "Authorization" not in code
    assert not re.search(r"""getOption|\.token\b|\[\s*['"`]token""", code)
    # The page config is read for baseUrl only; the XSRF value comes from the _xsrf cookie.
    assert "jupyter-config-data" in code and "config.baseUrl" in code
    assert set(re.findall(r"config\.(\w+)", code)) == {"baseUrl"}
    assert "document.cookie" in code and "_xsrf=" in code
    assert "'X-XSRFToken'" in code
    assert "credentials: 'same-origin'" in code


def test_esm_uses_the_api_contract() -> None:
    code = _code_of(ESM)
    for fragment in (
        "kodelab/api/challenges/",
        "/start",
        "/run",
        "/hints",
        "kodelab/api/submissions",
        "kodelab/api/submissions?challenge_id=",
        "api/contents/",
        "?content=0",
        "aria-live",
        "aria-label",
        "setInterval",
        "localStorage",
        "'KeyS'",
        "Time is up",
    ):
        assert fragment in code, fragment
    assert "innerHTML" not in code  # server and student text goes in as text only


def test_css_is_scoped_to_the_bar() -> None:
    css = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    css = re.sub(r"@keyframes[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    css = re.sub(r"@media[^{]*\{", "", css)
    for block in re.findall(r"([^{}]+)\{", css):
        for selector in block.split(","):
            selector = selector.strip()
            if selector:
                assert ".kodelab-bar" in selector, selector
