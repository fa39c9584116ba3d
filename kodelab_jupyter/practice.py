"""A student's challenge workflow: catalog, start, run, submit, history, restore, hints.

The REST handlers are thin wrappers around :class:`PracticeService`; every method takes the
authenticated user's name and only ever touches that user's data.
"""

from __future__ import annotations

import asyncio
import collections
import posixpath
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async
from traitlets import Float, Int, Unicode
from traitlets.config import LoggingConfigurable

from .content.catalog import Catalog
from .content.challenge import Challenge
from .content.notebook import build_notebook
from .errors import BadRequest, Conflict, Invalid, NotFound, RateLimited, TooLarge
from .grading.service import GradingService
from .grading.source import (
    ANSWER_ROLE,
    MAX_ANSWER_BYTES,
    ROLE_KEY,
    SubmissionError,
    answer_from_notebook,
    cell_role,
)
from .store import NotFound as StoreNotFound
from .store import Store, SubmissionRecord

VerdictListener = Callable[[SubmissionRecord], Awaitable[None] | None]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def submission_view(record: SubmissionRecord) -> dict[str, Any]:
    """A submission as the API returns it (the Verdict once graded)."""
    return {
        "id": record.id,
        "challenge_id": record.challenge_id,
        "status": record.status,
        "kind": record.kind,
        "late": record.late,
        "created_at": _iso(record.created_at),
        "finished_at": _iso(record.finished_at),
        "verdict": record.to_verdict(),
    }


def clean_path(path: Any) -> str:
    """A notebook path relative to the user's root; anything that escapes it is refused."""
    if not isinstance(path, str) or not path.strip():
        raise BadRequest("'path' must be a non-empty string")
    clean = posixpath.normpath(path.strip().lstrip("/"))
    escapes = clean == ".." or clean.startswith("../")
    if path.strip().startswith("/") or escapes or "\\" in path or "\0" in path:
        raise BadRequest(f"path '{path}' is outside your files")
    if not clean.endswith(".ipynb"):
        raise BadRequest(f"path '{path}' is not a notebook (.ipynb)")
    return clean


def answer_of(nb: Any) -> str:
    """The answer cells' source of a challenge notebook; Invalid when missing or too large."""
    try:
        answer = answer_from_notebook(nb)
    except SubmissionError as exc:
        raise Invalid(str(exc)) from None
    if len(answer.encode()) > MAX_ANSWER_BYTES:
        raise Invalid(f"the answer is larger than {MAX_ANSWER_BYTES // 1024} KB")
    return answer


def notebook_path(workspace: str, challenge_id: str, n: int = 0) -> str:
    """``<workspace>/<id>.ipynb``, or ``<workspace>/<id>-<n>.ipynb`` for ``n`` > 0."""
    base = posixpath.join(workspace, challenge_id) if workspace else challenge_id
    return f"{base}.ipynb" if n == 0 else f"{base}-{n}.ipynb"


def notebook_of(data: Any, challenge_id: str) -> nbformat.NotebookNode:
    """A notebook sent in a request (the hub service's way of receiving one): it must be a
    notebook of ``challenge_id``."""
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise BadRequest("'notebook' must be a notebook (a JSON object with 'cells')")
    nb = nbformat.from_dict(data)
    meta = nb.get("metadata", {}).get(ROLE_KEY) or {}
    if not isinstance(meta, dict) or meta.get("challenge_id") != challenge_id:
        raise Invalid(f"the notebook is not a notebook of challenge '{challenge_id}'")
    return nb


class NotebookFiles:
    """A user's challenge notebooks, read and written through a Jupyter contents manager.

    Used by :class:`PracticeService` on a single-user server, and by the single-user server's
    proxy in JupyterHub mode (where the grader is a hub service without access to the files).
    """

    def __init__(self, contents: Any, max_notebook_bytes: int, workspace: str) -> None:
        self.contents = contents
        self.max_notebook_bytes = max_notebook_bytes
        self.workspace = workspace

    async def exists(self, path: str) -> bool:
        """Whether a file is at ``path``."""
        return bool(await ensure_async(self.contents.file_exists(path)))

    async def read(self, path: Any, challenge_id: str) -> nbformat.NotebookNode:
        """The saved notebook at ``path``, which must be this challenge's notebook."""
        path = clean_path(path)
        if not await self.exists(path):
            raise NotFound(f"no notebook at '{path}'")
        info = await ensure_async(self.contents.get(path, content=False))
        if (info.get("size") or 0) > self.max_notebook_bytes:
            raise TooLarge(f"the notebook is larger than {self.max_notebook_bytes // 2**20} MB")
        try:
            model = await ensure_async(self.contents.get(path, content=True, type="notebook"))
        except Exception as exc:
            raise Invalid(f"'{path}' is not a readable notebook") from exc
        nb = model["content"]
        meta = nb.get("metadata", {}).get(ROLE_KEY) or {}
        if meta.get("challenge_id") != challenge_id:
            raise Invalid(f"'{path}' is not a notebook of challenge '{challenge_id}'")
        return nb

    async def answer(self, path: Any, challenge_id: str) -> str:
        """The answer in the saved notebook at ``path``."""
        return answer_of(await self.read(path, challenge_id))

    async def save(self, nb: nbformat.NotebookNode, path: str) -> None:
        """Write ``nb`` at ``path``, creating its folders."""
        await self._ensure_folder(posixpath.dirname(path))
        await ensure_async(
            self.contents.save({"type": "notebook", "format": "json", "content": nb}, path)
        )

    async def free_path(
        self, challenge_id: str, taken: Callable[[str], Awaitable[bool]] | None = None
    ) -> str:
        """``<workspace>/<id>.ipynb`` (adopted if it already is this challenge's notebook and
        not ``taken`` by somebody else), or a numbered name when a foreign file is there."""
        for n in range(100):
            path = notebook_path(self.workspace, challenge_id, n)
            if not await self.exists(path):
                return path
            if taken is not None and await taken(path):
                continue
            try:
                await self.read(path, challenge_id)
                return path
            except (Invalid, TooLarge):
                continue
        stem = notebook_path(self.workspace, challenge_id).removesuffix(".ipynb")
        raise Conflict(f"too many notebooks named {stem}-N.ipynb")

    async def restore(self, path: str, challenge_id: str, code: str) -> None:
        """Write ``code`` back into the answer cell of the notebook at ``path`` (the first
        answer cell gets it, the others are removed)."""
        nb = await self.read(path, challenge_id)
        answers = [i for i, c in enumerate(nb.cells) if cell_role(c) == ANSWER_ROLE]
        if not answers:
            raise Invalid(f"'{path}' has no answer cell to restore into")
        nb.cells[answers[0]].source = code
        for index in reversed(answers[1:]):
            del nb.cells[index]
        await self.save(nb, path)

    async def _ensure_folder(self, folder: str) -> None:
        if folder and not await ensure_async(self.contents.dir_exists(folder)):
            await self._ensure_folder(posixpath.dirname(folder))
            await ensure_async(self.contents.save({"type": "directory"}, folder))


class PracticeService(LoggingConfigurable):
    """Everything a student does with challenges, scoped to one user per call."""

    workspace = Unicode(
        "kodelab",
        help="Folder (relative to the server root) where started challenge notebooks are "
        "created. Default: 'kodelab'.",
    ).tag(config=True)
    submissions_per_minute = Int(
        10, help="Submissions a user may make per minute. Default: 10."
    ).tag(config=True)
    max_notebook_bytes = Int(
        5 * 1024 * 1024, help="Largest notebook accepted for run/submit. Default: 5 MB."
    ).tag(config=True)
    hints_per_failed_submission = Int(
        1, help="Hints unlocked by each failed submission. Default: 1."
    ).tag(config=True)
    grading_runs_per_user = Int(
        1,
        help="Grading runs (submissions and visible-test runs) one user may have in flight at "
        "once; more are refused with 429. Default: 1.",
    ).tag(config=True)
    late_grace_seconds = Float(
        5.0, help="Seconds after the deadline before a submission counts as late. Default: 5."
    ).tag(config=True)

    def __init__(
        self, catalog: Catalog, store: Store, grading: GradingService, contents: Any, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.catalog = catalog
        self.store = store
        self.grading = grading
        self.contents = contents
        # The user's notebooks, or None in the hub service (notebooks come in requests).
        self.files = (
            NotebookFiles(contents, self.max_notebook_bytes, self.workspace)
            if contents is not None
            else None
        )
        self.listeners: list[VerdictListener] = []
        self._recent: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._start_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- catalog ------------------------------------------------------------------------

    def challenge(self, challenge_id: str) -> Challenge:
        """The challenge with this id, or NotFound."""
        try:
            return self.catalog.get(challenge_id)
        except KeyError:
            raise NotFound(f"no challenge '{challenge_id}'") from None

    async def catalog_view(self, user: str, **filters: str | None) -> list[dict[str, Any]]:
        """Catalog entries matching ``filters``, each with the user's progress."""
        progress = await asyncio.to_thread(self.store.progress, user)
        out = []
        for challenge in self.catalog.filter(**filters):
            spec = challenge.spec
            mine = progress.get(challenge.id)
            out.append(
                {
                    "id": spec.id,
                    "title": spec.title,
                    "difficulty": spec.difficulty,
                    "category": spec.category,
                    "tags": list(spec.tags),
                    "language": spec.language,
                    "time_limit_minutes": spec.time_limit_minutes,
                    "progress": {
                        "attempts": mine.attempts if mine else 0,
                        "best_score": mine.best_score if mine else 0,
                        "max_score": mine.max_score if mine else None,
                        "solved": bool(mine and mine.solved),
                    },
                }
            )
        return out

    async def random_pick(self, user: str, **filters: str | None) -> dict[str, Any]:
        """One challenge matching ``filters``, preferring ones the user has not solved."""
        progress = await asyncio.to_thread(self.store.progress, user)
        solved = [cid for cid, p in progress.items() if p.solved]
        given = {k: v for k, v in filters.items() if v}
        pick = self.catalog.random(
            prefer_not=solved,
            difficulty=given.get("difficulty"),
            category=given.get("category"),
            tag=given.get("tag"),
        )
        if pick is None:
            raise NotFound("no challenge matches these filters")
        return pick.public_view()

    # -- notebooks ------------------------------------------------------------------------
    #
    # On a single-user server the service reads and writes the user's notebooks itself
    # (``self.files``). In the JupyterHub service it has no access to them (``contents`` is
    # None): ``start`` returns the notebook to create, ``run``/``submit`` take the notebook in
    # the request, ``restore`` returns the code to put back; the user's own server does the
    # file side (kodelab_jupyter/hub/proxy.py).

    @staticmethod
    def _clean_path(path: Any) -> str:
        """A notebook path relative to the user's root; anything that escapes it is refused."""
        return clean_path(path)

    async def _answer(self, challenge_id: str, path: Any, notebook: Any) -> str:
        """The answer to grade: from the saved notebook at ``path`` (single-user server), or
        from the ``notebook`` sent with the request (hub service)."""
        if self.files is not None:
            return await self.files.answer(path, challenge_id)
        if notebook is None:
            raise BadRequest("body needs the 'notebook' to grade")
        return answer_of(notebook_of(notebook, challenge_id))

    async def start(self, user: str, challenge_id: str, path: Any = None) -> dict[str, Any]:
        """Create (or reopen, never overwrite) the user's notebook and record the start.

        In the hub service ``path`` is where the user's server would put a new notebook; the
        reply then also holds the ``notebook`` to create there if no file is there yet.
        """
        challenge = self.challenge(challenge_id)
        # Users sharing one server's files must not be handed the same free path at once.
        async with self._start_lock:
            existing = await asyncio.to_thread(self.store.get_start, user, challenge_id)
            if existing:
                path = existing.path
            elif self.files is not None:
                path = await self.files.free_path(challenge_id, self._taken_by_others(user))
            else:
                path = (
                    clean_path(path)
                    if path is not None
                    else notebook_path(self.workspace, challenge_id)
                )
            if self.files is not None and not await self.files.exists(path):
                await self.files.save(build_notebook(challenge), path)
            record, _ = await asyncio.to_thread(
                self.store.start_challenge,
                user,
                challenge.id,
                challenge.content_hash,
                challenge.spec.title,
                path,
                challenge.spec.time_limit_minutes,
            )
        view: dict[str, Any] = {
            "path": record.path,
            "started_at": _iso(record.started_at),
            "deadline": _iso(record.deadline),
        }
        if self.files is None:
            view["notebook"] = build_notebook(challenge)
        return view

    def _taken_by_others(self, user: str) -> Callable[[str], Awaitable[bool]]:
        """Whether another user's start is at a path (several users share one server's files)."""

        async def taken(path: str) -> bool:
            return bool(await asyncio.to_thread(self.store.path_users, path) - {user})

        return taken

    # -- grading --------------------------------------------------------------------------

    def _claim(self, user: str, counted: bool) -> None:
        """Enforce the grading runs in flight per user and the submission rate."""
        if self._in_flight[user] >= max(1, self.grading_runs_per_user):
            raise RateLimited("a grading run of yours is still in flight", retry_after=1)
        if counted:
            window = self._recent[user]
            now = time.monotonic()
            while window and now - window[0] > 60:
                window.popleft()
            if len(window) >= self.submissions_per_minute:
                retry = int(60 - (now - window[0])) + 1
                raise RateLimited(
                    f"at most {self.submissions_per_minute} submissions per minute", retry
                )
            window.append(now)
        self._in_flight[user] += 1

    def _release(self, user: str) -> None:
        self._in_flight[user] -= 1
        if self._in_flight[user] <= 0:
            del self._in_flight[user]

    async def run(
        self, user: str, challenge_id: str, path: Any, notebook: Any = None
    ) -> dict[str, Any]:
        """Grade the saved notebook on the visible tests only (not an attempt)."""
        challenge = self.challenge(challenge_id)
        answer = await self._answer(challenge_id, path, notebook)
        self._claim(user, counted=False)
        try:
            verdict = await self.grading.grade_answer(challenge, answer, visible_only=True)
        finally:
            self._release(user)
        return verdict.to_json()

    async def submit(
        self, user: str, challenge_id: Any, path: Any, notebook: Any = None
    ) -> dict[str, Any]:
        """Snapshot the saved answer, persist it as pending, grade it in the background."""
        if not isinstance(challenge_id, str):
            raise BadRequest("'challenge_id' must be a string")
        challenge = self.challenge(challenge_id)
        answer = await self._answer(challenge_id, path, notebook)
        start = await asyncio.to_thread(self.store.get_start, user, challenge_id)
        late = bool(
            start
            and start.deadline
            and datetime.now(timezone.utc)
            > start.deadline + timedelta(seconds=self.late_grace_seconds)
        )
        self._claim(user, counted=True)
        try:
            submission_id = await asyncio.to_thread(
                self.grading.submit, user, challenge, answer, "submit", late
            )
        except BaseException:
            self._release(user)
            raise
        task = asyncio.ensure_future(self._grade(user, submission_id, challenge))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return {"id": submission_id, "status": "pending", "late": late}

    async def _grade(self, user: str, submission_id: int, challenge: Challenge) -> None:
        try:
            record = await self.grading.grade(submission_id, challenge)
        except Exception:
            self.log.exception("grading submission %s failed", submission_id)
            return
        finally:
            self._release(user)
        for listener in self.listeners:
            try:
                result = listener(record)
                if result is not None:
                    await result
            except Exception:
                self.log.exception("verdict listener failed")

    async def get_submission(self, user: str, submission_id: int) -> dict[str, Any]:
        """One of the user's submissions; another user's is NotFound."""
        try:
            record = await asyncio.to_thread(self.store.get_submission, submission_id, user)
        except StoreNotFound:
            raise NotFound(f"no submission {submission_id}") from None
        return submission_view(record)

    async def history(self, user: str, challenge_id: str | None) -> list[dict[str, Any]]:
        """The user's submissions, newest first (with the code snapshot)."""
        records = await asyncio.to_thread(self.store.list_submissions, user, challenge_id)
        return [dict(submission_view(r), code=r.code) for r in records if r.kind == "submit"]

    async def restore(self, user: str, submission_id: int) -> dict[str, Any]:
        """Write a submission's code back into the answer cell of the user's notebook.

        The hub service cannot write it: its reply holds the ``code`` for the user's server.
        """
        try:
            record = await asyncio.to_thread(self.store.get_submission, submission_id, user)
        except StoreNotFound:
            raise NotFound(f"no submission {submission_id}") from None
        start = await asyncio.to_thread(self.store.get_start, user, record.challenge_id)
        if start is None:
            raise Conflict("start the challenge before restoring into its notebook")
        if self.files is None:
            return {
                "path": start.path,
                "submission_id": submission_id,
                "challenge_id": record.challenge_id,
                "code": record.code,
            }
        await self.files.restore(start.path, record.challenge_id, record.code)
        return {"path": start.path, "submission_id": submission_id}

    # -- hints ----------------------------------------------------------------------------

    async def hints(self, user: str, challenge_id: str) -> dict[str, Any]:
        """Hints unlocked so far; the solution once solved or given up (if allowed)."""
        challenge = self.challenge(challenge_id)
        failed = await asyncio.to_thread(self.store.failed_attempts, user, challenge_id)
        progress = (await asyncio.to_thread(self.store.progress, user)).get(challenge_id)
        start = await asyncio.to_thread(self.store.get_start, user, challenge_id)
        gave_up = bool(start and start.gave_up_at)
        hints = challenge.spec.hints
        unlocked = (
            len(hints) if gave_up else min(len(hints), failed * self.hints_per_failed_submission)
        )
        view: dict[str, Any] = {
            "challenge_id": challenge_id,
            "hints": hints[:unlocked],
            "total": len(hints),
            "gave_up": gave_up,
            "solution": None,
        }
        solved = bool(progress and progress.solved)
        if challenge.spec.allow_solution_reveal and (solved or gave_up):
            view["solution"] = challenge.solution
        return view

    async def give_up(self, user: str, challenge_id: str) -> dict[str, Any]:
        """Record that the user gave up (unlocks every hint, and the solution if allowed)."""
        self.challenge(challenge_id)
        try:
            await asyncio.to_thread(self.store.give_up, user, challenge_id)
        except StoreNotFound:
            raise Conflict("start the challenge before giving up") from None
        return await self.hints(user, challenge_id)

    async def close(self) -> None:
        """Wait for grading runs in flight (used at server shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
