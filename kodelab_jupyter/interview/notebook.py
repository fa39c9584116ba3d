"""The notebook of an interview session: it follows the session, one section per round.

``InterviewNotebooks.ensure(view)`` is called by the REST handlers after every start, state,
submit and end with the candidate's session view. The first call creates
``<workspace>/interviews/<scenario>-<session id>.ipynb`` (title, description and the round
bar); every call appends a section for each round that has opened (or finished after
opening) and is not in the notebook yet. Sections are only ever appended: cells already in
the notebook, and what the candidate typed in them, are never rewritten.

What goes into the notebook is built from the engine's public view of a round
(``public_round``) only: a round that has not opened never appears, and hidden datasets,
expected outputs, hidden tests, solutions, correct answers and explanations are never in
the view in the first place. SQL rounds get a setup cell loading the round's *visible*
tables into the kernel's explorer DuckDB (``kodelab_jupyter.sql_magic``) and a ``%%sql``
answer cell; Python rounds a code answer cell and the visible examples; quiz, architecture
and modeling rounds a cell showing their controls (``round_controls``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import posixpath
import pprint
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async
from nbformat import NotebookNode

from ..errors import BadRequest, Conflict, Invalid, NotFound, TooLarge
from ..grading.source import MAX_ANSWER_BYTES, ROLE_KEY, SubmissionError, cell_role
from ..practice import clean_path as clean_notebook_path
from .loader import InterviewCatalog

__all__ = [
    "ANSWER_ROLE",
    "CODE_ROUND_TYPES",
    "InterviewNotebooks",
    "answer_from_notebook",
    "build_session_notebook",
    "round_section",
]

log = logging.getLogger(__name__)

NOTEBOOK_FORMAT_VERSION = 1
ANSWER_ROLE = "interview-answer"
HEADER_ROLE, BAR_ROLE = "interview-header", "interview-bar"
ROUND_ROLE, SETUP_ROLE = "interview-round", "interview-setup"
EXAMPLES_ROLE, CONTROLS_ROLE = "interview-examples", "interview-controls"
FINISHED_ROLE = "interview-finished"
CODE_ROUND_TYPES = ("sql", "python", "debug")
STRUCTURED_ROUND_TYPES = ("quiz", "architecture", "modeling")
FINAL = ("submitted", "timed_out", "skipped")
MAX_NOTEBOOK_BYTES = 5 * 1024 * 1024
TYPE_LABELS = {
    "sql": "SQL",
    "python": "Python",
    "debug": "Debugging",
    "quiz": "Quiz",
    "architecture": "Architecture",
    "modeling": "Data modeling",
}
CLOSED_NOTES = {
    "timed_out": "Time ran out for this round before this section was added to the notebook.",
    "skipped": "This round was skipped when the interview ended.",
    "submitted": "This round was submitted before this section was added to the notebook.",
}


# --------------------------------------------------------------------------- cells


def _cell(kind: str, source: str, role: str, round_id: str | None = None) -> NotebookNode:
    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    cell = make(source)
    meta: dict[str, Any] = {"role": role}
    if round_id is not None:
        meta["round"] = round_id
    cell.metadata[ROLE_KEY] = meta
    if role != ANSWER_ROLE:
        cell.metadata["deletable"] = False
        if kind == "markdown":
            cell.metadata["editable"] = False
    return cell


def _cell_round(cell: NotebookNode) -> str | None:
    meta = cell.get("metadata", {}).get(ROLE_KEY)
    value = meta.get("round") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def _literal(value: Any) -> str:
    """``value`` (JSON-like data) as a Python literal (None/True/False, not null/true/false)."""
    plain = json.loads(json.dumps(value, default=str))
    return pprint.pformat(plain, width=96, sort_dicts=False)


def _header(view: dict[str, Any], description: str) -> str:
    count = view.get("round_count") or len(view.get("rounds") or [])
    minutes = sum(int(r.get("time_minutes") or 0) for r in view.get("rounds") or [])
    level = str(view.get("level") or "").replace("_", " ")
    category = str(view.get("category") or "").replace("_", " ")
    facts = " · ".join(
        part
        for part in (
            category.capitalize(),
            level.capitalize(),
            f"{count} round{'s' if count != 1 else ''}",
            f"⏱ {minutes} min" if minutes else "",
        )
        if part
    )
    text = f"# {view.get('title') or view.get('scenario_id')}\n\n**{facts}**\n\n"
    if description.strip():
        text += description.strip() + "\n\n"
    text += (
        "Each round's section appears at the end of this notebook when the round opens. "
        "The round bar below counts down the server's deadline, saves your answer as a "
        "draft every few seconds, and submits it. When time runs out, the last saved answer "
        "is submitted and the next round opens. Rounds only go forward."
    )
    return text


def build_session_notebook(view: dict[str, Any], description: str = "") -> NotebookNode:
    """A new session notebook: header and round bar, no round yet."""
    sid = int(view["id"])
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("markdown", _header(view, description), HEADER_ROLE),
        _cell(
            "code",
            f"from kodelab_jupyter.interview_widgets import round_bar\nround_bar({sid})",
            BAR_ROLE,
        ),
    ]
    nb.metadata[ROLE_KEY] = {
        "interview_session": sid,
        "scenario_id": view.get("scenario_id"),
        "format": NOTEBOOK_FORMAT_VERSION,
    }
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _markdown_table(table: dict[str, Any], limit: int = 20) -> str:
    columns = list((table.get("columns") or {}).items())
    if not columns:
        return ""
    head = "| " + " | ".join(f"{c} `{t}`" for c, t in columns) + " |"
    rule = "|" + "---|" * len(columns)
    rows = table.get("rows") or []
    body = [
        "| " + " | ".join(_md_value(v) for v in row) + " |"
        for row in rows[:limit]
        if isinstance(row, list)
    ]
    more = ""
    if len(rows) > limit:
        more = f"\n\n*…and {len(rows) - limit} more rows (see them with `%%sql`).*"
    return f"**`{table.get('name')}`**\n\n" + "\n".join([head, rule, *body]) + more


def _md_value(value: Any) -> str:
    if value is None:
        return "*NULL*"
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text


def _check_line(test: dict[str, Any], entrypoint: str, compare: str) -> str:
    if test.get("code") is not None:
        return f"check_code({test['name']!r}, {test['code']!r}, globals())"
    return (
        f"check({test['name']!r}, {entrypoint}, args={_literal(test.get('args') or [])}, "
        f"kwargs={_literal(test.get('kwargs') or {})}, "
        f"expected={_literal(test.get('expected'))}, compare={compare!r})"
    )


def round_section(
    sid: int,
    index: int,
    count: int,
    content: dict[str, Any],
    compare: dict[str, Any] | None = None,
) -> list[NotebookNode]:
    """The cells of an open round, built from its public view ``content``."""
    rid = str(content["id"])
    kind = str(content.get("type"))
    label = TYPE_LABELS.get(kind, kind)
    if kind == "debug" and content.get("language"):
        label += f" ({TYPE_LABELS.get(str(content['language']), content['language'])})"
    intro = (
        f"## Round {index + 1} of {count} — {content.get('title')}\n\n"
        f"*{label} · ⏱ {content.get('time_minutes')} min*\n\n"
        f"{str(content.get('description') or '').strip()}\n"
    )
    cells = []
    initial = str(content.get("initial_code") or "")
    if content.get("language") == "sql":
        tables = [
            {
                "name": t.get("name"),
                "columns": dict(t.get("columns") or {}),
                "rows": t.get("rows") if t.get("rows") is not None else [],
            }
            for t in content.get("tables") or []
        ]
        shown = "\n\n".join(_markdown_table(t) for t in tables)
        intro += (
            "\n### Tables\n\n"
            f"{shown}\n\n"
            "Run the setup cell below to load these tables into this notebook's SQL explorer, "
            'then explore them in `%%sql` cells of your own (or with `run_sql("...")`). '
            "Your answer is the `%%sql` cell right after the setup cell: one read-only "
            "`SELECT`, graded on these tables and on hidden ones."
        )
        cells.append(_cell("markdown", intro, ROUND_ROLE, rid))
        setup = (
            "# Setup: loads the visible tables of this round into the SQL explorer "
            "(in-memory DuckDB, no file access).\n"
            "%load_ext kodelab_jupyter.sql_magic\n"
            "from kodelab_jupyter.sql_magic import load_tables, run_sql\n\n"
            f"load_tables({_literal(tables)})"
        )
        cells.append(_cell("code", setup, SETUP_ROLE, rid))
        body = initial if initial.strip() else "-- your query\nSELECT\n"
        cells.append(_cell("code", "%%sql\n" + body.rstrip() + "\n", ANSWER_ROLE, rid))
    elif content.get("language") == "python":
        entrypoint = str(content.get("entrypoint") or "")
        intro += (
            f"\nWrite your answer in the next cell (it must define `{entrypoint}`). "
            "The examples below only check the visible cases; *Submit* grades hidden tests too."
        )
        cells.append(_cell("markdown", intro, ROUND_ROLE, rid))
        body = initial if initial.strip() else f"def {entrypoint}(*args):\n    ...\n"
        cells.append(_cell("code", body.rstrip() + "\n", ANSWER_ROLE, rid))
        visible = content.get("visible_tests") or []
        if visible:
            mode = json.dumps(compare or {"mode": "exact"})
            lines = "\n".join(_check_line(t, entrypoint, mode) for t in visible)
            cells.append(
                _cell(
                    "code",
                    "# Visible examples (run after your answer cell)\n"
                    "from kodelab_jupyter.testing import check, check_code\n\n" + lines,
                    EXAMPLES_ROLE,
                    rid,
                )
            )
    else:
        intro += (
            "\nAnswer with the controls below (they are also in the round bar at the top). "
            "Your choices are saved as you go; *Submit* when you are done."
        )
        cells.append(_cell("markdown", intro, ROUND_ROLE, rid))
        cells.append(
            _cell(
                "code",
                "from kodelab_jupyter.interview_widgets import round_controls\n"
                f"round_controls({sid}, {rid!r})",
                CONTROLS_ROLE,
                rid,
            )
        )
    return cells


def _closed_section(
    index: int, count: int, item: dict[str, Any], content: dict[str, Any] | None
) -> list[NotebookNode]:
    """A round that opened and closed between two looks at the session: what it asked."""
    rid = str(item["id"])
    text = f"## Round {index + 1} of {count} — {item.get('title')}\n\n"
    if content is not None:
        text += str(content.get("description") or "").strip() + "\n\n"
    note = CLOSED_NOTES.get(str(item.get("status")), "This round is over.")
    text += f"> {note}\n"
    return [_cell("markdown", text, ROUND_ROLE, rid)]


# --------------------------------------------------------------------------- answers


def answer_from_notebook(nb: NotebookNode, round_id: str) -> str:
    """The source of ``round_id``'s answer cell(s); SubmissionError when there is none.

    A leading ``%%sql`` line stays: the SQL judge strips it (``strip_cell_magic``).
    """
    sources = [
        c.get("source", "")
        for c in nb.get("cells", [])
        if cell_role(c) == ANSWER_ROLE and _cell_round(c) == round_id
    ]
    if not sources:
        raise SubmissionError(f"the notebook has no answer cell for round '{round_id}'")
    return "\n\n".join(s if isinstance(s, str) else "".join(s) for s in sources)


def _session_of(nb: Any) -> Any:
    meta = nb.get("metadata", {}).get(ROLE_KEY) if isinstance(nb, dict) else None
    return meta.get("interview_session") if isinstance(meta, dict) else None


# --------------------------------------------------------------------------- the service


class InterviewNotebooks:
    """Creates and extends session notebooks through the server's contents manager."""

    def __init__(
        self,
        contents_manager: Any,
        workspace: str = "kodelab",
        catalog: InterviewCatalog | None = None,
        max_notebook_bytes: int = MAX_NOTEBOOK_BYTES,
    ) -> None:
        self.contents = contents_manager
        self.workspace = workspace.strip("/")
        self.catalog = catalog
        self.max_notebook_bytes = max_notebook_bytes
        self._locks: dict[int, asyncio.Lock] = {}

    # -- paths ------------------------------------------------------------------------

    def default_path(self, view: dict[str, Any]) -> str:
        """``<workspace>/interviews/<scenario>-<session id>.ipynb``."""
        name = f"{view['scenario_id']}-{int(view['id'])}.ipynb"
        folder = posixpath.join(self.workspace, "interviews") if self.workspace else "interviews"
        return posixpath.join(folder, name)

    @staticmethod
    def clean_path(path: Any) -> str:
        """A notebook path relative to the server root; anything that escapes it is refused
        (the challenge workflow's own rules, :func:`kodelab_jupyter.practice.clean_path`)."""
        return clean_notebook_path(path)

    async def _exists(self, path: str) -> bool:
        return bool(await ensure_async(self.contents.file_exists(path)))

    async def _load(self, path: str, limit: bool = True) -> NotebookNode:
        info = await ensure_async(self.contents.get(path, content=False))
        if limit and (info.get("size") or 0) > self.max_notebook_bytes:
            raise TooLarge(f"the notebook is larger than {self.max_notebook_bytes // 2**20} MB")
        try:
            model = await ensure_async(self.contents.get(path, content=True, type="notebook"))
        except Exception as exc:
            raise Invalid(f"'{path}' is not a readable notebook") from exc
        nb: NotebookNode = model["content"]
        return nb

    async def _save(self, nb: NotebookNode, path: str) -> None:
        await self._ensure_folder(posixpath.dirname(path))
        model = {"type": "notebook", "format": "json", "content": nb}
        await ensure_async(self.contents.save(model, path))

    async def _ensure_folder(self, folder: str) -> None:
        if folder and not await ensure_async(self.contents.dir_exists(folder)):
            await self._ensure_folder(posixpath.dirname(folder))
            await ensure_async(self.contents.save({"type": "directory"}, folder))

    async def read(self, path: Any, session_id: int) -> NotebookNode:
        """The saved notebook at ``path``, which must be this session's notebook."""
        clean = self.clean_path(path)
        if not await self._exists(clean):
            raise NotFound(f"no notebook at '{clean}'")
        nb = await self._load(clean)
        if _session_of(nb) != session_id:
            raise Invalid(f"'{clean}' is not the notebook of interview session {session_id}")
        return nb

    async def answer_at(self, path: Any, session_id: int, round_id: str) -> str:
        """The answer cell of ``round_id`` in the session's saved notebook at ``path``."""
        nb = await self.read(path, session_id)
        try:
            answer = answer_from_notebook(nb, round_id)
        except SubmissionError as exc:
            raise Invalid(str(exc)) from None
        if len(answer.encode()) > MAX_ANSWER_BYTES:
            raise Invalid(f"the answer is larger than {MAX_ANSWER_BYTES // 1024} KB")
        return answer

    # -- following the session ------------------------------------------------------------

    async def ensure(self, view: dict[str, Any]) -> str:
        """Create the session notebook if needed and append the sections of every round that
        opened since; returns its path (which may differ from ``view['path']`` when the file
        there is not this session's notebook any more)."""
        sid = int(view["id"])
        lock = self._locks.setdefault(sid, asyncio.Lock())
        async with lock:
            path, nb = await self._find(view)
            if nb is None:
                nb = build_session_notebook(view, self._description(view))
                self._append(nb, view)
                await self._save(nb, path)
            elif self._append(nb, view):
                await self._save(nb, path)
            return path

    async def _find(self, view: dict[str, Any]) -> tuple[str, NotebookNode | None]:
        """The session's notebook: at ``view['path']`` or the default path if it is there (or
        free), else at the first free numbered name. Foreign files are never overwritten."""
        sid = int(view["id"])
        candidates: list[str] = []
        stored = view.get("path")
        if isinstance(stored, str) and stored:
            try:
                candidates.append(self.clean_path(stored))
            except BadRequest:
                log.warning("interview session %s: ignoring stored path %r", sid, stored)
        base = self.default_path(view)
        candidates.append(base)
        stem = base.removesuffix(".ipynb")
        candidates += [f"{stem}-{n}.ipynb" for n in range(1, 100)]
        for path in dict.fromkeys(candidates):
            if not await self._exists(path):
                if await ensure_async(self.contents.dir_exists(path)):
                    continue
                return path, None
            try:
                # No size limit here: a session notebook grown large with outputs is still
                # the session's (only answers read for grading are size-limited).
                nb = await self._load(path, limit=False)
            except Invalid:
                continue
            if _session_of(nb) == sid:
                return path, nb
        raise Conflict(f"too many files named {stem}-N.ipynb")

    def _description(self, view: dict[str, Any]) -> str:
        if self.catalog is None:
            return ""
        try:
            return self.catalog.get(str(view["scenario_id"])).spec.description
        except KeyError:
            return ""

    def _public(self, view: dict[str, Any], item: dict[str, Any]) -> dict[str, Any] | None:
        """The public view of a round that has opened (the view's own, or the catalog's)."""
        content = item.get("content")
        if isinstance(content, dict):
            return content
        if self.catalog is None or not item.get("opened_at"):
            return None
        try:
            scenario = self.catalog.get(str(view["scenario_id"]))
            return scenario.public_round(str(item["id"]))
        except KeyError:
            return None

    def _compare(self, view: dict[str, Any], round_id: str) -> dict[str, Any] | None:
        """How a Python round compares results (not secret; the examples cell needs it)."""
        if self.catalog is None:
            return None
        try:
            rnd = self.catalog.get(str(view["scenario_id"])).round(round_id)
        except KeyError:
            return None
        compare = getattr(rnd, "compare", None)
        if compare is None or getattr(compare, "mode", "sql") == "sql":
            return None
        dumped: dict[str, Any] = compare.model_dump(exclude={"file"})
        return dumped

    def _append(self, nb: NotebookNode, view: dict[str, Any]) -> bool:
        """Append what is missing; True if anything was."""
        sid = int(view["id"])
        present = {_cell_round(c) for c in nb.cells if cell_role(c) == ROUND_ROLE}
        rounds = view.get("rounds") or []
        count = int(view.get("round_count") or len(rounds))
        changed = False
        for index, item in enumerate(rounds):
            rid = item.get("id")
            status = item.get("status")
            if rid in present or not isinstance(rid, str):
                continue
            if status == "open" and isinstance(item.get("content"), dict):
                content = item["content"]
                nb.cells.extend(round_section(sid, index, count, content, self._compare(view, rid)))
            elif status in FINAL and item.get("opened_at"):
                nb.cells.extend(_closed_section(index, count, item, self._public(view, item)))
            else:
                continue
            changed = True
        finished = view.get("status") == "finished"
        if finished and not any(cell_role(c) == FINISHED_ROLE for c in nb.cells):
            nb.cells.append(
                _cell(
                    "markdown",
                    "## Interview finished\n\nYour scorecard is in the round bar at the top of "
                    "this notebook (download it as an image or copy a share link there).",
                    FINISHED_ROLE,
                )
            )
            changed = True
        return changed
