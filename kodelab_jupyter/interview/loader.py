"""Loading and validating interview scenarios; the scenario catalog, public views, the lobby.

A scenario lives in ``<dir>/<category>/<level>/<id>.yaml``; CSV files it names are
relative to the YAML file's folder (conventionally ``data/...`` next to it) and must stay
inside it. Every problem is reported as ``file:line: message``.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.scalarstring import LiteralScalarString

from ..content.errors import ContentError, ContentIssue
from ..content.model import DatasetSpec, TableSpec
from ..content.sqldata import CsvData, load_dataset_tables, read_csv_file, resolve_data_path
from ..content.yamlfile import line_of, load_yaml, to_plain
from .model import (
    CATEGORIES,
    CATEGORY_TITLES,
    LEVEL_TITLES,
    LEVELS,
    ROUND_TAGS,
    ROUND_TYPES,
    AnyRound,
    ArchitectureRound,
    ModelingRound,
    PythonDebugRound,
    PythonRound,
    QuizRound,
    ScenarioSpec,
    SqlDebugRound,
    SqlRound,
)

_PACKAGE = Path(__file__).resolve().parents[1]
# A wheel carries the scenarios inside the package; a source checkout has them at the top.
SHIPPED_INTERVIEWS = (
    _PACKAGE / "interviews"
    if (_PACKAGE / "interviews").is_dir()
    else _PACKAGE.parent / "interviews"
)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its spec, where it lives, and a hash of its content."""

    spec: ScenarioSpec
    path: Path
    content_hash: str

    @property
    def id(self) -> str:
        """The scenario id."""
        return self.spec.id

    @property
    def root(self) -> Path:
        """The folder CSV paths are relative to (the YAML file's folder)."""
        return self.path.parent

    @property
    def rounds(self) -> list[AnyRound]:
        """The rounds, in order."""
        return list(self.spec.rounds)

    def round(self, round_id: str) -> AnyRound:
        """The round with this id; KeyError when unknown."""
        return self.spec.round(round_id)

    def public_view(self) -> dict[str, Any]:
        """``public_scenario(self)``."""
        return public_scenario(self)

    def public_round(self, round_id: str) -> dict[str, Any]:
        """``public_round`` of one round, with CSV-backed visible tables read from disk."""
        return public_round(self.round(round_id), self.root)


# --------------------------------------------------------------------------- loading


def load_scenario(path: Path) -> Scenario:
    """Load and fully validate one scenario file; raises ContentError with every issue."""
    path = Path(path)
    if not path.is_file():
        raise ContentError([ContentIssue(path, 1, "no such scenario file")])
    tree, issues = load_yaml(path)
    if issues:
        raise ContentError(issues)
    if not isinstance(tree, dict):
        raise ContentError([ContentIssue(path, 1, "a scenario file must be a mapping")])
    located = _path_issues(path, tree)
    try:
        spec = ScenarioSpec.model_validate(to_plain(tree))
    except ValidationError as exc:
        raise ContentError(located + _validation_issues(path, tree, exc)) from None
    checker = _Checker(path, tree)
    checker.check(spec)
    if located or checker.issues:
        raise ContentError(located + checker.issues)
    return Scenario(spec=spec, path=path, content_hash=_content_hash(path, spec))


def _path_issues(path: Path, tree: Any) -> list[ContentIssue]:
    """``category``, ``level`` and ``id`` must agree with ``<category>/<level>/<id>.yaml``."""
    expected = {
        "category": path.parent.parent.name,
        "level": path.parent.name,
        "id": path.stem,
    }
    issues = []
    for key, want in expected.items():
        value = tree.get(key)
        if not isinstance(value, str) or value == want:
            continue
        where = f"the file name '{path.name}'" if key == "id" else f"the folder '{want}'"
        issues.append(
            ContentIssue(
                path,
                line_of(tree, [key]),
                f"{key} '{value}' does not match {where} (expected <category>/<level>/<id>.yaml)",
            )
        )
    return issues


def _validation_issues(path: Path, tree: Any, error: ValidationError) -> list[ContentIssue]:
    """Pydantic errors located at their YAML line; round union tags are hidden."""
    plain: list[tuple[tuple[Any, ...], str]] = []
    merged: dict[tuple[Any, ...], list[str]] = {}  # errors of several union members
    for err in error.errors():
        loc = _clean_loc(err["loc"])
        kind = err["type"]
        if kind in ("union_tag_invalid", "union_tag_not_found") and loc[:1] == ("rounds",):
            message, loc = _round_type_problem(tree, loc)
            plain.append((loc, message))
        elif kind == "extra_forbidden":
            plain.append((loc, f"unknown key '{loc[-1]}'"))
        elif kind == "missing":
            plain.append((loc, f"missing required key '{_dotted(loc)}'"))
        else:
            loc = loc[: _matched(tree, loc)] or loc
            merged.setdefault(loc, []).append(_clean_msg(err["msg"]))
    for loc, messages in merged.items():
        text = " or ".join(dict.fromkeys(messages))
        plain.append((loc, f"{_dotted(loc) or '(top level)'}: {text}"))
    issues = [ContentIssue(path, line_of(tree, loc), message) for loc, message in plain]
    return sorted(issues, key=lambda i: i.line)


def _clean_loc(loc: Sequence[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for idx, part in enumerate(loc):
        if isinstance(part, str) and "[" in part:
            continue
        if (
            idx >= 2
            and loc[idx - 2] == "rounds"
            and isinstance(loc[idx - 1], int)
            and part in ROUND_TAGS
        ):
            continue
        out.append(part)
    return tuple(out)


def _matched(tree: Any, loc: Sequence[Any]) -> int:
    """How many leading parts of ``loc`` exist in the YAML tree."""
    node = tree
    for count, key in enumerate(loc):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return count
    return len(loc)


def _round_type_problem(tree: Any, loc: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    node: Any = tree
    for key in loc:
        node = node[key] if isinstance(node, (dict, list)) else None
    where = _dotted(loc)
    if not isinstance(node, dict):
        return f"{where}: a round must be a mapping", loc
    kind = node.get("type")
    if kind is None:
        return f"missing required key '{where}.type'", loc
    if kind not in ROUND_TYPES:
        return (
            f"{where}.type: unknown round type '{kind}' (use one of {', '.join(ROUND_TYPES)})",
            (*loc, "type"),
        )
    return (
        f"{where}.language: debug rounds need 'language: sql' or 'language: python'",
        (*loc, "language") if "language" in node else (*loc, "type"),
    )


def _dotted(loc: Sequence[Any]) -> str:
    return ".".join(str(p) for p in loc)


def _clean_msg(msg: str) -> str:
    return msg.removeprefix("Value error, ")


class _Checker:
    """Checks that need several fields, the YAML lines, or the CSV files."""

    def __init__(self, path: Path, tree: Any) -> None:
        self.path = path
        self.tree = tree
        self.root = path.parent
        self.issues: list[ContentIssue] = []

    def at(self, *loc: Any) -> int:
        return line_of(self.tree, loc)

    def add(self, loc: Sequence[Any], message: str) -> None:
        self.issues.append(ContentIssue(self.path, line_of(self.tree, loc), message))

    def check(self, spec: ScenarioSpec) -> None:
        seen: set[str] = set()
        for idx, rnd in enumerate(spec.rounds):
            loc: tuple[Any, ...] = ("rounds", idx)
            if rnd.id in seen:
                self.add((*loc, "id"), f"duplicate round id '{rnd.id}'")
            seen.add(rnd.id)
            if isinstance(rnd, (SqlRound, SqlDebugRound)):
                self._check_sql(loc, rnd)
            elif isinstance(rnd, (PythonRound, PythonDebugRound)):
                self._check_python(loc, rnd)
            elif isinstance(rnd, QuizRound):
                self._check_quiz(loc, rnd)
            elif isinstance(rnd, ArchitectureRound):
                self._check_architecture(loc, rnd)
            elif isinstance(rnd, ModelingRound):
                self._check_modeling(loc, rnd)

    # -- sql ---------------------------------------------------------------

    def _check_sql(self, loc: tuple[Any, ...], rnd: SqlRound | SqlDebugRound) -> None:
        visible = {t.name.lower(): t for t in rnd.tables}
        for k, dataset in enumerate(rnd.hidden_tables):
            dloc = (*loc, "hidden_tables", k)
            names = {t.name.lower() for t in dataset.tables}
            if names != set(visible):
                self.add(
                    (*dloc, "tables"),
                    f"hidden dataset '{dataset.name}' must declare the same tables as the"
                    f" visible one ({', '.join(t.name for t in rnd.tables)})",
                )
            for j, table in enumerate(dataset.tables):
                shown = visible.get(table.name.lower())
                if shown is not None and _column_sig(shown) != _column_sig(table):
                    self.add(
                        (*dloc, "tables", j, "columns"),
                        f"table '{table.name}' of hidden dataset '{dataset.name}' must declare"
                        " the same columns and types as in the visible 'tables'",
                    )
        header: list[str] | None = None
        header_from = ""
        dataset_locs = [loc, *[(*loc, "hidden_tables", k) for k in range(len(rnd.hidden_tables))]]
        for dataset, dloc in zip(rnd.datasets, dataset_locs, strict=True):
            self._check_tables(dloc, dataset)
            if dataset.expected_output is None:
                continue
            eloc = (*dloc, "expected_output")
            parsed = self._read_csv(eloc, dataset.expected_output)
            if parsed is None:
                continue
            cols = [c.lower() for c in parsed.header]
            if header is None:
                header, header_from = cols, dataset.name
            elif cols != header:
                self.add(
                    eloc,
                    f"expected_output columns ({', '.join(parsed.header)}) do not match those"
                    f" of dataset '{header_from}' ({', '.join(header)})",
                )

    def _check_tables(self, dloc: tuple[Any, ...], dataset: DatasetSpec) -> None:
        """Types, CSV files and every value cast to its declared type (shared with challenges)."""
        for j, table in enumerate(dataset.tables):
            if (
                table.csv is not None
                and self._data_path((*dloc, "tables", j, "csv"), table.csv) is None
            ):
                return
        try:
            load_dataset_tables(
                self.root,
                dataset,
                self.path,
                at=lambda *sub: line_of(self.tree, (*dloc, *sub)),
            )
        except ContentError as exc:
            self.issues += exc.issues

    def _data_path(self, loc: tuple[Any, ...], rel: str) -> Path | None:
        """The file a YAML key names, inside the scenario folder; None (and an issue) if not."""
        target = resolve_data_path(self.root, rel)
        if target is None:
            self.add(loc, f"{loc[-1]}: '{rel}' points outside the scenario folder")
            return None
        if not target.is_file():
            self.add(loc, f"{loc[-1]}: file '{rel}' does not exist")
            return None
        return target

    def _read_csv(self, loc: tuple[Any, ...], rel: str) -> CsvData | None:
        target = self._data_path(loc, rel)
        if target is None:
            return None
        try:
            return read_csv_file(target, self.root / rel)
        except ContentError as exc:
            self.issues += exc.issues
            return None

    # -- python ------------------------------------------------------------

    def _check_python(self, loc: tuple[Any, ...], rnd: PythonRound | PythonDebugRound) -> None:
        keys = ["solution"] + (["initial_code"] if rnd.initial_code.strip() else [])
        for key in keys:
            source = getattr(rnd, key)
            self._check_defines((*loc, key), source, rnd.entrypoint, key)
        seen: set[str] = set()
        for j, test in enumerate(rnd.tests):
            if test.name in seen:
                self.add((*loc, "tests", j), f"duplicate test name '{test.name}'")
            seen.add(test.name)
            if test.code is not None:
                try:
                    compile(test.code, f"{self.path}:test {test.name}", "exec")
                except SyntaxError as exc:
                    self.add((*loc, "tests", j, "code"), f"test '{test.name}': {exc.msg}")
        if not rnd.visible_tests:
            self.add((*loc, "tests"), "at least one test must be visible")

    def _check_defines(self, loc: tuple[Any, ...], source: str, name: str, key: str) -> None:
        try:
            module = ast.parse(source)
        except SyntaxError as exc:
            node: Any = self.tree
            for part in loc:
                node = node[part]
            offset = (exc.lineno or 1) if isinstance(node, LiteralScalarString) else 0
            self.issues.append(
                ContentIssue(self.path, self.at(*loc) + offset, f"{key}: syntax error: {exc.msg}")
            )
            return
        for stmt in module.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if stmt.name == name:
                    return
            elif isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in stmt.targets
            ):
                return
        self.add(loc, f"{key} does not define the entrypoint '{name}' at top level")

    # -- quiz, architecture, modeling -------------------------------------------

    def _check_quiz(self, loc: tuple[Any, ...], rnd: QuizRound) -> None:
        seen: set[str] = set()
        for j, question in enumerate(rnd.questions):
            qloc = (*loc, "questions", j)
            if question.id in seen:
                self.add((*qloc, "id"), f"duplicate question id '{question.id}'")
            seen.add(question.id)
            count = len(question.options)
            bad = sorted(i for i in question.correct_set if not 0 <= i < count)
            if bad:
                self.add(
                    (*qloc, "correct_answer"),
                    f"question '{question.id}': correct_answer index"
                    f" {', '.join(map(str, bad))} is out of range (0..{count - 1})",
                )

    def _check_architecture(self, loc: tuple[Any, ...], rnd: ArchitectureRound) -> None:
        ids: set[str] = set()
        for j, component in enumerate(rnd.palette):
            if component.id in ids:
                self.add((*loc, "palette", j, "id"), f"duplicate component id '{component.id}'")
            ids.add(component.id)
        placed: dict[str, str] = {}
        for key in ("required", "acceptable", "wrong"):
            for j, cid in enumerate(getattr(rnd, key)):
                if cid not in ids:
                    self.add((*loc, key, j), f"{key}: '{cid}' is not a component of the palette")
                elif cid in placed:
                    self.add((*loc, key, j), f"{key}: '{cid}' is already listed in {placed[cid]}")
                else:
                    placed[cid] = key
        for j, (src, dst) in enumerate(rnd.required_connections):
            for end in (src, dst):
                if end not in ids:
                    self.add(
                        (*loc, "required_connections", j),
                        f"required_connections: '{end}' is not a component of the palette",
                    )
                elif placed.get(end) == "wrong":
                    self.add(
                        (*loc, "required_connections", j),
                        f"required_connections: '{end}' is listed as wrong",
                    )
            if src == dst:
                self.add(
                    (*loc, "required_connections", j),
                    f"required_connections: '{src}' is connected to itself",
                )

    def _check_modeling(self, loc: tuple[Any, ...], rnd: ModelingRound) -> None:
        entities: set[str] = set()
        for j, entity in enumerate(rnd.entities):
            if entity.id in entities:
                self.add((*loc, "entities", j, "id"), f"duplicate entity id '{entity.id}'")
            entities.add(entity.id)
        seen: set[str] = set()
        for j, field in enumerate(rnd.fields):
            if field.id in seen:
                self.add((*loc, "fields", j, "id"), f"duplicate field id '{field.id}'")
            seen.add(field.id)
            if field.entity not in entities:
                self.add(
                    (*loc, "fields", j, "entity"),
                    f"field '{field.id}': entity '{field.entity}' is not declared in 'entities'",
                )


def _column_sig(table: TableSpec) -> list[tuple[str, str]]:
    return [(k.lower(), " ".join(v.upper().split())) for k, v in table.columns.items()]


def _content_hash(path: Path, spec: ScenarioSpec) -> str:
    """A short hash of the YAML and every CSV it names."""
    digest = hashlib.sha256(path.read_bytes())
    files: set[str] = set()
    for rnd in spec.rounds:
        if isinstance(rnd, (SqlRound, SqlDebugRound)):
            for dataset in rnd.datasets:
                files.update(t.csv for t in dataset.tables if t.csv)
                if dataset.expected_output:
                    files.add(dataset.expected_output)
    for rel in sorted(files):
        digest.update(b"\0" + rel.encode() + b"\0")
        digest.update((path.parent / rel).read_bytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- catalog


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """Scenario files named by ``paths``: a ``.yaml`` file, or a folder searched recursively.

    In folders, a YAML file counts as a scenario when it sits in a level folder or under a
    category folder (``<category>/<level>/<id>.yaml``), so a misplaced level still shows up
    as a validation error rather than being skipped.
    """
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*.yaml")
                if "data" not in p.relative_to(path).parts[:-1]
                and (p.parent.name in LEVELS or p.parent.parent.name in CATEGORIES)
            )
    return found


class InterviewCatalog:
    """Loaded scenarios by id, plus the issues of those that failed to load."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self.scenarios: dict[str, Scenario] = {}
        self.issues: list[ContentIssue] = []
        self.reload()

    def reload(self) -> None:
        """Load every scenario again from disk."""
        self.scenarios, self.issues = {}, []
        for file in scenario_files(self.paths):
            try:
                scenario = load_scenario(file)
            except ContentError as exc:
                self.issues += exc.issues
                continue
            other = self.scenarios.get(scenario.id)
            if other is not None:
                self.issues.append(
                    ContentIssue(
                        file,
                        line_of(load_yaml(file)[0], ["id"]),
                        f"duplicate scenario id '{scenario.id}' (also in {other.path})",
                    )
                )
                continue
            self.scenarios[scenario.id] = scenario

    def get(self, scenario_id: str) -> Scenario:
        """The scenario with this id; KeyError when unknown."""
        return self.scenarios[scenario_id]

    def filter(self, category: str | None = None, level: str | None = None) -> list[Scenario]:
        """Scenarios of a category and/or level, sorted by title."""
        picked = [
            s
            for s in self.scenarios.values()
            if (not category or s.spec.category == category)
            and (not level or s.spec.level == level)
        ]
        return sorted(picked, key=lambda s: (s.spec.title.lower(), s.id))

    def by_category_level(self) -> dict[tuple[str, str], list[Scenario]]:
        """Every (category, level) cell, in lobby order, with its scenarios (maybe none)."""
        return {(c, lv): self.filter(c, lv) for c in CATEGORIES for lv in LEVELS}


def lobby_index(catalog: InterviewCatalog) -> dict[str, Any]:
    """The lobby: every category x level, its scenarios, and 'coming soon' for empty cells."""
    cells = catalog.by_category_level()
    categories = []
    for category in CATEGORIES:
        levels = []
        for level in LEVELS:
            scenarios = cells[(category, level)]
            levels.append(
                {
                    "id": level,
                    "title": LEVEL_TITLES[level],
                    "status": "available" if scenarios else "coming_soon",
                    "scenarios": [_lobby_entry(s) for s in scenarios],
                }
            )
        categories.append({"id": category, "title": CATEGORY_TITLES[category], "levels": levels})
    return {"categories": categories, "scenario_count": len(catalog.scenarios)}


def _lobby_entry(scenario: Scenario) -> dict[str, Any]:
    spec = scenario.spec
    return {
        "id": spec.id,
        "title": spec.title,
        "description": spec.description,
        "category": spec.category,
        "level": spec.level,
        "estimated_minutes": spec.estimated_minutes,
        "tags": list(spec.tags),
        "round_count": len(spec.rounds),
        "round_types": [r.type for r in spec.rounds],
        "total_minutes": sum(r.time_minutes for r in spec.rounds),
    }


# --------------------------------------------------------------------------- public views


def public_scenario(scenario: Scenario) -> dict[str, Any]:
    """What a candidate may see before starting: no round content beyond title, type, time."""
    spec = scenario.spec
    return {
        **_lobby_entry(scenario),
        "content_hash": scenario.content_hash,
        "rounds": [
            {
                "index": idx,
                "id": r.id,
                "title": r.title,
                "type": r.type,
                "time_minutes": r.time_minutes,
            }
            for idx, r in enumerate(spec.rounds)
        ],
    }


def public_round(round: AnyRound, root: Path | None = None) -> dict[str, Any]:
    """What a candidate sees of an open round.

    Never: hidden datasets, expected outputs, hidden tests, solutions, correct answers,
    explanations, or the hints themselves (only how many there are). ``root`` (the
    scenario folder) lets CSV-backed visible tables show their rows.
    """
    view: dict[str, Any] = {
        "id": round.id,
        "type": round.type,
        "question_type": round.question_type,
        "language": round.language,
        "time_minutes": round.time_minutes,
        "title": round.title,
        "description": round.description,
        "initial_code": round.initial_code,
        "tags": list(round.tags),
        "hint_count": len(round.hints),
    }
    if isinstance(round, (SqlRound, SqlDebugRound)):
        view["tables"] = [_public_table(t, root) for t in round.tables]
        view["hidden_dataset_count"] = len(round.hidden_tables)
        view["ordered"] = round.compare.ordered
    elif isinstance(round, (PythonRound, PythonDebugRound)):
        view["entrypoint"] = round.entrypoint
        view["visible_tests"] = [
            t.model_dump(exclude_none=True, exclude={"has_expected"}) for t in round.visible_tests
        ]
        view["hidden_test_count"] = len(round.tests) - len(round.visible_tests)
    elif isinstance(round, QuizRound):
        view["questions"] = [
            {
                "id": q.id,
                "prompt": q.prompt,
                "options": list(q.options),
                "multi_select": q.multi_select,
            }
            for q in round.questions
        ]
    elif isinstance(round, ArchitectureRound):
        view["palette"] = [c.model_dump() for c in round.palette]
    elif isinstance(round, ModelingRound):
        view["entities"] = [e.model_dump() for e in round.entities]
        view["fields"] = [{"id": f.id, "label": f.label} for f in round.fields]
    return view


def _public_table(table: TableSpec, root: Path | None) -> dict[str, Any]:
    rows: list[list[Any]] | None = table.rows
    if rows is None and table.csv is not None and root is not None:
        try:
            rows = [list(r) for _, r in read_csv_file(root / table.csv).records]
        except ContentError:
            rows = None
    return {"name": table.name, "columns": dict(table.columns), "rows": rows}


# --------------------------------------------------------------------------- references


def reference_answer(round: AnyRound) -> Any:
    """The reference answer of a round, in the shape a candidate submits it.

    sql/python/debug: the solution code; quiz: ``{question_id: index or [indices]}``;
    architecture: ``{"components": required, "connections": required_connections}``;
    modeling: ``{field_id: entity_id}``.
    """
    if isinstance(round, (SqlRound, SqlDebugRound, PythonRound, PythonDebugRound)):
        return round.solution
    if isinstance(round, QuizRound):
        return {q.id: q.correct_answer for q in round.questions}
    if isinstance(round, ArchitectureRound):
        return {
            "components": list(round.required),
            "connections": [[a, b] for a, b in round.required_connections],
        }
    return {f.id: f.entity for f in round.fields}


def reference_answers(scenario: Scenario | ScenarioSpec) -> dict[str, Any]:
    """``reference_answer`` of every round, by round id (for the CI check at 100%)."""
    spec = scenario.spec if isinstance(scenario, Scenario) else scenario
    return {r.id: reference_answer(r) for r in spec.rounds}
