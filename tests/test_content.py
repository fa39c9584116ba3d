"""Challenge content: validation with file:line errors, catalog filters, student notebooks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from kodelab_jupyter.content.catalog import Catalog
from kodelab_jupyter.content.challenge import load_challenge
from kodelab_jupyter.content.errors import ContentError
from kodelab_jupyter.content.notebook import build_notebook
from kodelab_jupyter.grading.source import SubmissionError, answer_from_notebook, read_answer

SHIPPED = Path(__file__).resolve().parents[1] / "challenges"

GOOD_YAML = """\
id: add-two
title: Add two numbers
difficulty: easy
category: basics
tags: [math]
language: python
statement: statement.md
starter: starter.py
solution: solution.py
entrypoint: add
hints: ["Use +"]
tests:
  - {name: example, visible: true, args: [1, 2], expected: 3}
  - {name: secret-case, args: [40000, 2], expected: 40002}
  - {name: secret-code, code: "assert add(777111, 1) == 777112"}
"""


def make_challenge(
    root: Path,
    yaml_text: str = GOOD_YAML,
    folder: str = "add-two",
    starter: str = "def add(a, b):\n    pass\n",
    solution: str = "def add(a, b):\n    return a + b\n",
) -> Path:
    """Write a challenge folder and return it."""
    path = root / folder
    path.mkdir(parents=True)
    (path / "challenge.yaml").write_text(yaml_text)
    (path / "statement.md").write_text("Add `a` and `b`.\n")
    (path / "starter.py").write_text(starter)
    (path / "solution.py").write_text(solution)
    return path


def issues_of(path: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_challenge(path)
    return [str(i) for i in info.value.issues]


def test_a_valid_challenge_loads_with_a_stable_content_hash(tmp_path: Path) -> None:
    folder = make_challenge(tmp_path)
    first = load_challenge(folder)
    assert first.spec.entrypoint == "add"
    assert len(first.visible_tests) == 1
    assert load_challenge(folder).content_hash == first.content_hash
    (folder / "solution.py").write_text("def add(a, b):\n    return b + a\n")
    assert load_challenge(folder).content_hash != first.content_hash


@pytest.mark.parametrize(
    ("edit", "line", "fragment"),
    [
        (
            lambda y: y.replace("tags: [math]", "tags: [math]\ncolour: red"),
            6,
            "unknown key 'colour'",
        ),
        (lambda y: y.replace("difficulty: easy", "difficulty: extreme"), 3, "difficulty"),
        (lambda y: y.replace("title: Add two numbers\n", ""), 1, "missing required key 'title'"),
        (lambda y: y.replace("statement.md", "nope.md"), 7, "file 'nope.md' does not exist"),
        (lambda y: y.replace("name: secret-case", "name: example"), 14, "duplicate test name"),
        (lambda y: y.replace("entrypoint: add", "entrypoint: plus"), 1, "does not define 'plus'"),
        (lambda y: y.replace("args: [1, 2]", "args: [1, 2"), 13, "YAML syntax error"),
        (lambda y: y.replace("expected: 40002", "points: -1"), 14, "tests.1"),
        (
            lambda y: y.replace("assert add(777111, 1)", "assert add(777111, 1"),
            15,
            "test 'secret-code'",
        ),
        (lambda y: y.replace("id: add-two", "id: Add_Two"), 1, "id"),
        (lambda y: y.replace("visible: true, ", ""), 12, "at least one test must be visible"),
        (
            lambda y: y.replace("solution: solution.py", "solution: ../../etc/passwd"),
            9,
            "outside the challenge folder",
        ),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "missing-key",
        "missing-file",
        "duplicate-test",
        "entrypoint-missing",
        "yaml-syntax",
        "bad-test-field",
        "code-test-syntax",
        "bad-id",
        "no-visible-test",
        "path-escape",
    ],
)
def test_every_content_error_names_file_and_line(tmp_path, edit, line, fragment) -> None:
    folder = make_challenge(tmp_path, edit(GOOD_YAML))
    found = issues_of(folder)
    yaml_or_py = [i for i in found if fragment in i]
    assert yaml_or_py, found
    where = yaml_or_py[0].split(": ")[0]
    assert where.rsplit(":", 1)[1] == str(line), found


def test_all_errors_are_reported_not_just_the_first(tmp_path: Path) -> None:
    broken = GOOD_YAML.replace("statement.md", "gone.md").replace("starter.py", "gone.py")
    found = issues_of(make_challenge(tmp_path, broken))
    assert len(found) == 2, found


def test_syntax_error_in_solution_points_into_the_python_file(tmp_path: Path) -> None:
    folder = make_challenge(tmp_path, solution="def add(a, b)\n    return a + b\n")
    found = issues_of(folder)
    assert any(i.startswith(f"{folder / 'solution.py'}:1: syntax error") for i in found), found


def test_duplicate_ids_across_folders_are_an_error(tmp_path: Path) -> None:
    make_challenge(tmp_path / "a")
    make_challenge(tmp_path / "b")
    catalog = Catalog([tmp_path / "a", tmp_path / "b"])
    assert len(catalog.challenges) == 1
    assert any("duplicate id 'add-two'" in str(i) for i in catalog.issues)


def test_shipped_library_is_valid_and_large_enough() -> None:
    catalog = Catalog([SHIPPED])
    assert not catalog.issues, "\n".join(map(str, catalog.issues))
    assert len(catalog.challenges) >= 15
    difficulties = {c.spec.difficulty for c in catalog.challenges.values()}
    assert difficulties == {"easy", "medium", "hard"}
    assert any(c.spec.category == "data-wrangling" for c in catalog.challenges.values())


def test_catalog_filters_and_random_prefers_unsolved() -> None:
    catalog = Catalog([SHIPPED])
    easy = catalog.filter(difficulty="easy")
    assert easy and all(c.spec.difficulty == "easy" for c in easy)
    tagged = catalog.filter(tag="pandas")
    assert tagged and all("pandas" in c.spec.tags for c in tagged)
    all_but_one = [c.id for c in easy[1:]]
    for _ in range(5):
        pick = catalog.random(prefer_not=all_but_one, difficulty="easy")
        assert pick is not None and pick.id == easy[0].id


def _hidden_fragments(challenge) -> list[str]:
    """Strings that would betray hidden tests: names, code, args and expected values."""
    out = []
    for test in challenge.spec.tests:
        if test.visible:
            continue
        out.append(repr(test.name))  # quoted, as generated code would carry it
        if test.code:
            out.append(test.code)
        else:
            out.append(json.dumps(test.expected))
            out.append(json.dumps(test.args))
    return [f for f in out if len(f) > 3]


def test_student_notebook_never_contains_hidden_tests(tmp_path: Path) -> None:
    challenge = load_challenge(make_challenge(tmp_path))
    text = nbformat.writes(build_notebook(challenge))
    for fragment in ("secret-case", "40002", "40000", "secret-code", "777111", "777112"):
        assert fragment not in text


@pytest.mark.parametrize("folder", sorted(p.name for p in SHIPPED.iterdir() if p.is_dir()))
def test_shipped_notebooks_never_contain_hidden_tests(folder: str) -> None:
    challenge = load_challenge(SHIPPED / folder)
    text = nbformat.writes(build_notebook(challenge))
    visible_text = json.dumps([t.model_dump() for t in challenge.visible_tests])
    for fragment in _hidden_fragments(challenge):
        assert fragment not in text or fragment in visible_text, fragment


def test_notebook_marks_roles_and_records_id_and_hash(tmp_path: Path) -> None:
    challenge = load_challenge(make_challenge(tmp_path))
    nb = build_notebook(challenge)
    roles = [c.metadata["kodelab"]["role"] for c in nb.cells]
    assert roles == ["statement", "challenge-bar", "answer", "visible-tests-intro", "visible-tests"]
    assert nb.metadata["kodelab"]["challenge_id"] == "add-two"
    assert nb.metadata["kodelab"]["content_hash"] == challenge.content_hash
    assert answer_from_notebook(nb) == "def add(a, b):\n    pass\n"


def test_visible_test_cell_runs_in_a_plain_kernel(tmp_path: Path) -> None:
    """The generated visible-tests cell is valid Python that reports pass/fail."""
    challenge = load_challenge(make_challenge(tmp_path))
    nb = build_notebook(challenge)
    code = "def add(a, b):\n    return a + b\n" + nb.cells[-1].source
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "✓ example" in out.stdout


def test_answer_extraction_ignores_everything_but_answer_cells(tmp_path: Path) -> None:
    challenge = load_challenge(make_challenge(tmp_path))
    nb = build_notebook(challenge)
    nb.cells[2].source = "def add(a, b):\n    return a + b\n"
    nb.cells.append(nbformat.v4.new_code_cell("add = lambda a, b: 'hacked'"))
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, str(path))
    assert read_answer(path) == "def add(a, b):\n    return a + b\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("no-answer.ipynb", nbformat.writes(nbformat.v4.new_notebook()), "no answer cell"),
        ("broken.ipynb", "{not json", "not a valid notebook"),
        ("binary.py", b"\xff\xfe\x00", "not UTF-8"),
        ("huge.py", "x = 1\n" * 30000, "larger than"),
    ],
)
def test_bad_submissions_get_a_clear_error(tmp_path: Path, name, content, message) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(SubmissionError, match=message):
        read_answer(path)


def test_validate_cli_exits_1_and_prints_every_problem(tmp_path: Path) -> None:
    make_challenge(tmp_path, GOOD_YAML.replace("statement.md", "gone.md"))
    make_challenge(
        tmp_path,
        GOOD_YAML.replace("id: add-two", "id: other").replace(
            "difficulty: easy", "difficulty: nope"
        ),
        folder="other",
    )
    run = subprocess.run(
        [sys.executable, "-m", "kodelab_jupyter.cli", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    lines = [ln for ln in run.stdout.splitlines() if ln]
    assert any("add-two/challenge.yaml:7: statement" in ln for ln in lines), run.stdout
    assert any("other/challenge.yaml:3: difficulty" in ln for ln in lines), run.stdout


def test_validate_cli_is_clean_on_the_shipped_library() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kodelab_jupyter.cli", "validate", str(SHIPPED)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_list_cli_filters_and_picks_at_random() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kodelab_jupyter.cli", "list", "--difficulty", "hard", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(run.stdout)
    assert rows and {r["difficulty"] for r in rows} == {"hard"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kodelab_jupyter.cli",
            "list",
            "--random",
            "--json",
            "--category",
            "data-wrangling",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert [r["category"] for r in json.loads(run.stdout)] == ["data-wrangling"]


def test_build_cli_writes_the_notebook(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kodelab_jupyter.cli", "build", "two-sum", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    path = Path(run.stdout.strip())
    assert path == tmp_path / "two-sum.ipynb"
    assert nbformat.read(str(path), as_version=4).metadata["kodelab"]["challenge_id"] == "two-sum"


def test_yaml_line_numbers_survive_nested_flow_mappings(tmp_path: Path) -> None:
    yaml_text = GOOD_YAML + textwrap.dedent("""\
        limits:
          wall_seconds: -5
    """)
    found = issues_of(make_challenge(tmp_path, yaml_text))
    assert any(":17: limits.wall_seconds" in i for i in found), found
