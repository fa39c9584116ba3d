"""nbgrader on the equivalent assignment, in a virtual environment of its own.

The first time, ``python -m venv benchmarks/.venv-nbgrader`` and ``pip install nbgrader``
(about a minute); afterwards the environment is reused. The assignment is built from the
challenge itself, so both graders see the same answer code and the same tests:

* the source notebook has the challenge statement, one *autograded answer* cell holding the
  reference solution between ``### BEGIN SOLUTION`` / ``### END SOLUTION``, and one
  *autograder tests* cell per test, worth the test's points: ``assert entry(args) ==
  expected`` for data tests, the test's own code for assert-style tests. Hidden tests sit
  between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``, so the released notebook
  does not show them and ``autograde`` puts them back from the gradebook;
* ``nbgrader generate_assignment`` makes the released copy; each student's submitted copy is
  that release with the answer cell filled in with the answer being graded;
* ``nbgrader autograde <assignment> --student <id>`` grades one submission (a command, as an
  instructor runs it: its start-up is part of the cost); ``nbgrader autograde
  <assignment>`` grades them all, one after the other, in one process.

Every autograded submission must score full marks (read from the gradebook afterwards).
nbgrader runs the notebook on a plain, unsandboxed ``python3`` kernel of its environment.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from ..content.challenge import Challenge
from .baseline import call_source, equality_is_exact
from .common import CHECKOUT, BenchFailure

DEFAULT_VENV = CHECKOUT / "benchmarks" / ".venv-nbgrader"
PACKAGE = "nbgrader"
ANSWER_ID = "answer"
_SCORES = """\
import json, sys
from nbgrader.api import Gradebook
with Gradebook(sys.argv[1]) as gb:
    print(json.dumps({s.student_id: [s.score, s.max_score]
                      for s in gb.assignment_submissions(sys.argv[2])}))
"""


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def nbgrader_version(venv: Path) -> str | None:
    """nbgrader's version in ``venv``, or None when it is not (properly) installed there."""
    python = venv / "bin" / "python"
    if not (venv / "bin" / "nbgrader").exists() or not python.exists():
        return None
    done = subprocess.run(
        [str(python), "-c", "import nbgrader; print(nbgrader.__version__)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_venv(venv: Path, say: Callable[[str], None]) -> tuple[str | None, str | None]:
    """``(nbgrader version, None)`` once ``venv`` has nbgrader (installed the first time),
    or ``(None, why not)``."""
    found = nbgrader_version(venv)
    if found:
        return found, None
    log = venv.parent / f"{venv.name}-install.log"
    say(f"installing nbgrader into {venv} (first run only; log: {log})")
    venv.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", PACKAGE],
        ]
        for step in steps:
            try:
                done = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, timeout=900)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return None, f"`{' '.join(step)}` failed: {exc}"
            if done.returncode != 0:
                return None, f"`{' '.join(step)}` exited {done.returncode}: {_tail(log, 5)}"
    found = nbgrader_version(venv)
    if not found:
        return None, f"nbgrader did not import after installing it into {venv}"
    return found, None


def unsupported(challenge: Challenge) -> str | None:
    """Why this challenge has no honest nbgrader equivalent, or None when it has one."""
    if challenge.spec.language != "python":
        return f"{challenge.id} is a {challenge.spec.language} challenge"
    if not equality_is_exact(challenge):
        return (
            f"{challenge.id} compares {challenge.spec.compare.mode!r} or on tagged data, "
            "which a plain `assert ... ==` test cell does not check alike"
        )
    return None


def _nbgrader_cell(source: str, **meta: Any) -> Any:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, **meta}
    return cell


def source_notebook(challenge: Challenge) -> Any:
    """The instructor's notebook: statement, answer cell (solution), one test cell per test."""
    entry = challenge.spec.entrypoint or ""
    statement = nbformat.v4.new_markdown_cell(challenge.statement)
    statement.metadata["nbgrader"] = {
        "schema_version": 3,
        "grade": False,
        "solution": False,
        "locked": True,
        "grade_id": "statement",
    }
    cells = [statement]
    solution = f"### BEGIN SOLUTION\n{challenge.solution.rstrip()}\n### END SOLUTION"
    cells.append(
        _nbgrader_cell(solution, solution=True, grade=False, locked=False, grade_id=ANSWER_ID)
    )
    for test in challenge.spec.tests:
        body = (
            test.code or ""
            if test.is_code
            else f"assert {call_source(entry, test)} == {test.expected!r}"
        )
        if not test.visible:
            body = f"### BEGIN HIDDEN TESTS\n{body}\n### END HIDDEN TESTS"
        cells.append(
            _nbgrader_cell(
                body,
                solution=False,
                grade=True,
                locked=True,
                points=float(test.points),
                grade_id="test_" + test.name.replace("-", "_"),
            )
        )
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec})


class NbgraderCourse:
    """An nbgrader course folder with one assignment: the challenge as a notebook."""

    def __init__(
        self, venv: Path, root: Path, challenge: Challenge, assignment: str = "ps1"
    ) -> None:
        self.venv = venv
        self.root = root
        self.challenge = challenge
        self.assignment = assignment
        self.notebook = f"{challenge.id}.ipynb"
        self.log = root / "nbgrader.log"

    def env(self) -> dict[str, str]:
        """nbgrader's environment: its venv first on PATH (it runs ``alembic``), private
        Jupyter folders (no user configuration, no kernelspecs but its own python3)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        for name, sub in (
            ("JUPYTER_CONFIG_DIR", "jupyter-config"),
            ("JUPYTER_DATA_DIR", "jupyter-data"),
            ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
            ("IPYTHONDIR", "ipython"),
        ):
            env[name] = str(self.root / ".home" / sub)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    async def run(self, *args: str, timeout: float = 3600) -> float:
        """Run ``nbgrader *args`` in the course folder; its wall time. BenchFailure if it
        fails (with the end of its log)."""
        with self.log.open("ab") as out:
            out.write(f"\n$ nbgrader {' '.join(args)}\n".encode())
            out.flush()
            began = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                str(self.venv / "bin" / "nbgrader"),
                *args,
                cwd=self.root,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                code = await asyncio.wait_for(process.wait(), timeout)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
                raise BenchFailure(f"nbgrader {' '.join(args)} took over {timeout:.0f}s") from None
            elapsed = time.perf_counter() - began
        if code != 0:
            raise BenchFailure(f"nbgrader {' '.join(args)} exited {code}:\n{_tail(self.log)}")
        return elapsed

    async def build(self) -> None:
        """Write the course configuration and source notebook; generate the release."""
        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "source" / self.assignment).mkdir(parents=True)
        (self.root / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            "c.CourseDirectory.course_id = 'kodelab-bench'\n"
            f"c.CourseDirectory.root = {str(self.root)!r}\n"
            # The assignment's tests, like the judge's, must finish within the wall limit.
            "c.ExecutePreprocessor.timeout = 60\n"
        )
        nbformat.write(
            source_notebook(self.challenge),
            self.root / "source" / self.assignment / self.notebook,
        )
        await self.run("generate_assignment", self.assignment, "--force")

    def submit(self, student: str, answer: str) -> None:
        """The student's submitted copy: the release with ``answer`` in the answer cell."""
        release = self.root / "release" / self.assignment / self.notebook
        nb = nbformat.read(release, as_version=4)
        answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        if len(answers) != 1:
            raise BenchFailure(f"the released notebook has {len(answers)} answer cells, not 1")
        answers[0].source = answer
        folder = self.root / "submitted" / student / self.assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / self.notebook)

    async def autograde(self, student: str | None = None, timeout: float = 3600) -> float:
        """``nbgrader autograde`` of one student (or all, serially); its wall time."""
        extra = ["--student", student] if student else []
        return await self.run("autograde", self.assignment, *extra, timeout=timeout)

    def scores(self) -> dict[str, tuple[float, float]]:
        """``{student: (score, max_score)}`` of the autograded submissions, from the
        gradebook."""
        done = subprocess.run(
            [
                str(self.venv / "bin" / "python"),
                "-c",
                _SCORES,
                self.gradebook_url(),
                self.assignment,
            ],
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=self.root,
            timeout=300,
        )
        if done.returncode != 0:
            raise BenchFailure(f"reading nbgrader's gradebook failed: {done.stderr[-800:]}")
        data = json.loads(done.stdout)
        return {k: (float(v[0]), float(v[1])) for k, v in data.items()}

    def gradebook_url(self) -> str:
        """The course's gradebook database."""
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def check_full_marks(self, students: list[str]) -> None:
        """BenchFailure unless every one of ``students`` scored full marks."""
        scores = self.scores()
        wanted = float(sum(t.points for t in self.challenge.spec.tests))
        bad = {
            s: scores.get(s)
            for s in students
            if s not in scores or scores[s][1] != wanted or scores[s][0] != scores[s][1]
        }
        if bad:
            sample = dict(list(bad.items())[:5])
            raise BenchFailure(
                f"nbgrader did not give full marks ({wanted:g}) to {len(bad)} of "
                f"{len(students)} submissions, e.g. {sample} (log: {self.log})"
            )
