"""YAML loading that keeps line numbers, and mapping of pydantic errors back to them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import ContentIssue


def load_yaml(path: Path) -> tuple[Any, list[ContentIssue]]:
    """Parse ``path`` in round-trip mode (nodes keep their line); syntax errors become issues."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ContentIssue(path, 1, f"cannot read file: {exc}")]
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text), []
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        return None, [ContentIssue(path, line, f"YAML syntax error: {problem}")]
    except YAMLError as exc:
        return None, [ContentIssue(path, 1, f"YAML error: {exc}")]


def line_of(node: Any, loc: Sequence[Any]) -> int:
    """The 1-based line of the deepest node of ``loc`` found in a round-trip YAML tree."""
    line = 1
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    return line


def to_plain(node: Any) -> Any:
    """Turn ruamel's commented containers and scalars into plain Python data."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def validation_issues(path: Path, tree: Any, error: ValidationError) -> list[ContentIssue]:
    """One issue per pydantic error, located at the YAML line of the offending key."""
    issues = []
    for err in error.errors():
        loc = [part for part in err["loc"] if not (isinstance(part, str) and "[" in part)]
        where = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
        elif err["type"] == "missing":
            message = f"missing required key '{where}'"
        else:
            message = f"{where}: {_clean(err['msg'])}"
        issues.append(ContentIssue(path, line_of(tree, loc), message))
    return issues


def _clean(msg: str) -> str:
    return msg.removeprefix("Value error, ")
