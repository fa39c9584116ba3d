"""Getting the answer out of a submission, and checking it compiles, on the trusted side."""

from __future__ import annotations

from pathlib import Path

import nbformat

ROLE_KEY = "kodelab"
ANSWER_ROLE = "answer"
MAX_ANSWER_BYTES = 100 * 1024


class SubmissionError(ValueError):
    """The submission file cannot be graded (not a notebook, no answer cell, too large...)."""


def cell_role(cell: nbformat.NotebookNode) -> str | None:
    """The KodeLab role stored in a cell's metadata, if any."""
    meta = cell.get("metadata", {}).get(ROLE_KEY)
    return meta.get("role") if isinstance(meta, dict) else None


def answer_from_notebook(nb: nbformat.NotebookNode) -> str:
    """The answer: the source of every cell whose role is ``answer``; all else is ignored."""
    sources = [c.source for c in nb.get("cells", []) if cell_role(c) == ANSWER_ROLE]
    if not sources:
        raise SubmissionError("the notebook has no answer cell (a cell with kodelab role 'answer')")
    return "\n\n".join(sources)


def strip_cell_magic(source: str, magic: str) -> str:
    """Drop a leading ``%%magic`` line (SQL answers may start with ``%%sql``)."""
    first, _, rest = source.lstrip().partition("\n")
    return rest if first.strip().split(" ")[0] == f"%%{magic}" else source


def read_answer(path: Path) -> str:
    """The answer in a submission file: a student ``.ipynb``, or a plain ``.py``/``.sql`` file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SubmissionError(f"cannot read {path}: {exc.strerror}") from None
    if path.suffix == ".ipynb":
        try:
            nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        except Exception as exc:
            raise SubmissionError(f"{path} is not a valid notebook: {exc}") from None
        answer = answer_from_notebook(nb)
    else:
        try:
            answer = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SubmissionError(f"{path} is not UTF-8 text") from None
    if len(answer.encode()) > MAX_ANSWER_BYTES:
        raise SubmissionError(f"the answer is larger than {MAX_ANSWER_BYTES // 1024} KB")
    return answer


def answer_syntax_error(source: str) -> str | None:
    """A message when the answer does not compile (IPython syntax allowed), else None."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        python = TransformerManager().transform_cell(source)
        compile(python, "<answer>", "exec")
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return f"{type(exc).__name__}: {exc.msg}{where}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"the answer cannot be compiled: {type(exc).__name__}"
    return None
