"""Building the student notebook of a challenge (never with hidden test content)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from ..grading.source import ANSWER_ROLE, ROLE_KEY
from .challenge import Challenge
from .model import TestSpec

NOTEBOOK_FORMAT_VERSION = 1


def _cell(kind: str, source: str, role: str) -> NotebookNode:
    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    cell = make(source)
    cell.metadata[ROLE_KEY] = {"role": role}
    if role != ANSWER_ROLE:
        cell.metadata["deletable"] = False
        if kind == "markdown":
            cell.metadata["editable"] = False
    return cell


def _visible_test_line(test: TestSpec, entrypoint: str, compare: str) -> str:
    if test.code is not None:
        return f"check_code({test.name!r}, {test.code!r}, globals())"
    # Python literals of JSON-like data (repr, not JSON: None/True/False must stay Python).
    return (
        f"check({test.name!r}, {entrypoint}, args={test.args or []!r}, "
        f"kwargs={test.kwargs or {}!r}, expected={test.expected!r}, compare={compare!r})"
    )


def build_notebook(challenge: Challenge) -> NotebookNode:
    """The student notebook: statement, challenge bar, starter answer cell, visible tests."""
    spec = challenge.spec
    compare = json.dumps(challenge.spec.compare.model_dump(exclude={"file"}))
    header = (
        f"# {spec.title}\n\n"
        f"**{spec.difficulty.title()}** · {spec.category}"
        + (f" · {', '.join(spec.tags)}" if spec.tags else "")
        + (f" · ⏱ {spec.time_limit_minutes} min" if spec.time_limit_minutes else "")
        + "\n\n"
        + challenge.statement.strip()
        + "\n"
    )
    visible = "\n".join(
        _visible_test_line(t, spec.entrypoint or "", compare) for t in challenge.visible_tests
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("markdown", header, "statement"),
        _cell(
            "code",
            f"from kodelab_jupyter.widgets import challenge_bar\nchallenge_bar({spec.id!r})",
            "challenge-bar",
        ),
        _cell("code", challenge.starter.rstrip() + "\n", ANSWER_ROLE),
        _cell(
            "markdown",
            "## Visible tests\nRun the cell below to check your answer on the examples. "
            "*Submit* also grades hidden tests.",
            "visible-tests-intro",
        ),
        _cell(
            "code",
            "from kodelab_jupyter.testing import check, check_code\n\n" + visible,
            "visible-tests",
        ),
    ]
    nb.metadata[ROLE_KEY] = {
        "challenge_id": spec.id,
        "content_hash": challenge.content_hash,
        "format": NOTEBOOK_FORMAT_VERSION,
    }
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write_notebook(challenge: Challenge, out_dir: Path) -> Path:
    """Write ``<out_dir>/<id>.ipynb`` and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{challenge.id}.ipynb"
    nbformat.write(build_notebook(challenge), str(path))
    return path
