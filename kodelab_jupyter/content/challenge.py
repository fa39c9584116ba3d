"""Loading and validating a challenge folder."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ContentError, ContentIssue
from .model import ChallengeSpec, TestSpec
from .sqldata import load_dataset_tables, load_expected_csv, resolve_data_path
from .yamlfile import line_of, load_yaml, to_plain, validation_issues

CHALLENGE_FILE = "challenge.yaml"


@dataclass(frozen=True)
class Challenge:
    """A validated challenge: its spec plus the text of the files it names."""

    spec: ChallengeSpec
    root: Path
    statement: str
    starter: str
    solution: str
    content_hash: str
    comparator_source: str | None = None

    @property
    def id(self) -> str:
        """The challenge id."""
        return self.spec.id

    @property
    def visible_tests(self) -> list[TestSpec]:
        """Tests the student may see."""
        return [t for t in self.spec.tests if t.visible]

    def public_view(self) -> dict[str, Any]:
        """What a student may know about the challenge: never a hidden test's content."""
        spec = self.spec
        return {
            "id": spec.id,
            "title": spec.title,
            "difficulty": spec.difficulty,
            "category": spec.category,
            "tags": list(spec.tags),
            "language": spec.language,
            "time_limit_minutes": spec.time_limit_minutes,
            "statement": self.statement,
            "starter": self.starter,
            "entrypoint": spec.entrypoint,
            "visible_tests": [
                t.model_dump(exclude_none=True, exclude={"has_expected"})
                for t in self.visible_tests
            ],
            "hidden_test_count": len(spec.tests) - len(self.visible_tests),
            "hint_count": len(spec.hints),
            "content_hash": self.content_hash,
        }


def content_hash(root: Path) -> str:
    """A short hash of every file in the folder, so a changed test means a new version."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def load_challenge(root: Path) -> Challenge:
    """Load and fully validate ``root/challenge.yaml``; raises ContentError with every issue."""
    root = Path(root)
    yaml_path = root / CHALLENGE_FILE
    if not yaml_path.is_file():
        raise ContentError([ContentIssue(yaml_path, 1, "no challenge.yaml in this folder")])
    tree, issues = load_yaml(yaml_path)
    if issues:
        raise ContentError(issues)
    if not isinstance(tree, dict):
        raise ContentError([ContentIssue(yaml_path, 1, "challenge.yaml must be a mapping")])
    try:
        spec = ChallengeSpec.model_validate(to_plain(tree))
    except ValidationError as exc:
        raise ContentError(validation_issues(yaml_path, tree, exc)) from None

    def at(*loc: Any) -> int:
        return line_of(tree, loc)

    issues = []
    if spec.id != root.name:
        issues.append(
            ContentIssue(yaml_path, at("id"), f"id '{spec.id}' must match folder '{root.name}'")
        )
    texts: dict[str, str] = {}
    for key in ("statement", "starter", "solution"):
        rel = getattr(spec, key)
        text, problem = _read_named_file(root, rel)
        if problem:
            issues.append(ContentIssue(yaml_path, at(key), f"{key}: {problem}"))
        texts[key] = text or ""
    comparator = None
    if spec.compare.file:
        comparator, problem = _read_named_file(root, spec.compare.file)
        if problem:
            issues.append(ContentIssue(yaml_path, at("compare", "file"), f"compare: {problem}"))
        elif comparator is not None:
            issues += _check_defines(root / spec.compare.file, comparator, "compare")
    seen: set[str] = set()
    for idx, test in enumerate(spec.tests):
        if test.name in seen:
            issues.append(
                ContentIssue(yaml_path, at("tests", idx), f"duplicate test name '{test.name}'")
            )
        seen.add(test.name)
        if test.code is not None:
            try:
                compile(test.code, f"{yaml_path}:test {test.name}", "exec")
            except SyntaxError as exc:
                issues.append(
                    ContentIssue(
                        yaml_path, at("tests", idx, "code"), f"test '{test.name}': {exc.msg}"
                    )
                )
    if spec.tests and not any(t.visible for t in spec.tests):
        issues.append(ContentIssue(yaml_path, at("tests"), "at least one test must be visible"))
    if spec.language == "python" and spec.entrypoint:
        for key in ("starter", "solution"):
            if texts[key]:
                issues += _check_defines(root / getattr(spec, key), texts[key], spec.entrypoint)
    if spec.language == "sql":
        issues += _check_datasets(root, yaml_path, spec, at)
    if issues:
        raise ContentError(issues)
    return Challenge(
        spec=spec,
        root=root,
        statement=texts["statement"],
        starter=texts["starter"],
        solution=texts["solution"],
        content_hash=content_hash(root),
        comparator_source=comparator,
    )


def _check_datasets(
    root: Path, yaml_path: Path, spec: ChallengeSpec, at: Callable[..., int]
) -> list[ContentIssue]:
    """Every dataset's tables load (types exist, CSV files parse, values cast) and every
    expected_output CSV parses; running the reference query is ``check_sql_challenge``'s
    job (grading/sql.py), since it needs the judge's DuckDB runner."""
    issues: list[ContentIssue] = []
    for idx, dataset in enumerate(spec.datasets or []):

        def locate(*loc: Any, _idx: int = idx) -> int:
            return at("datasets", _idx, *loc)

        try:
            load_dataset_tables(root, dataset, yaml_path, at=locate)
        except ContentError as exc:
            issues += exc.issues
        rel = dataset.expected_output
        if rel:
            path = resolve_data_path(root, rel)
            if path is None or not path.is_file():
                problem = (
                    "points outside the challenge folder" if path is None else "does not exist"
                )
                issues.append(
                    ContentIssue(
                        yaml_path,
                        locate("expected_output"),
                        f"dataset '{dataset.name}': expected_output '{rel}' {problem}",
                    )
                )
                continue
            try:
                load_expected_csv(root, rel)
            except ContentError as exc:
                issues += exc.issues
    return issues


def _read_named_file(root: Path, rel: str) -> tuple[str | None, str | None]:
    """Read a file the YAML names; it must stay inside the challenge folder."""
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        return None, f"'{rel}' points outside the challenge folder"
    if not path.is_file():
        return None, f"file '{rel}' does not exist"
    try:
        return path.read_text(encoding="utf-8"), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read '{rel}': {exc}"


def _check_defines(path: Path, source: str, name: str) -> list[ContentIssue]:
    """The Python file must parse and define ``name`` at top level."""
    try:
        module = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return [ContentIssue(path, exc.lineno or 1, f"syntax error: {exc.msg}")]
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return []
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return []
    return [ContentIssue(path, 1, f"does not define '{name}' at top level")]
