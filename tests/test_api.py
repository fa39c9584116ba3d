"""The REST API of the server extension, end to end against a real jupyter-server.

Every test runs a fresh server (pytest-jupyter's ``jp_serverapp``) with the extension, a tmp
SQLite database, the shipped challenges plus a tiny ``slow-nap`` challenge made here, and an
identity provider that takes the user name from the ``X-Test-User`` header (after the normal
token check), so several users can share one server. Grading uses the real sandbox.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_server.auth import IdentityProvider, User
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
TWO_SUM_YAML = REPO / "challenges" / "two-sum" / "challenge.yaml"
VERDICT_EVENT = "https://events.kodelab.dev/kodelab_jupyter/verdict"
USER_HEADER = "X-Test-User"
SANDBOX = pytest.mark.sandbox

TWO_SUM_WRONG = "def two_sum(nums, target):\n    return [0, 1]  # always the first pair\n"
TWO_SUM_RIGHT = (
    "def two_sum(nums, target):\n"
    "    index_of = {}\n"
    "    for j, value in enumerate(nums):\n"
    "        if target - value in index_of:\n"
    "            return [index_of[target - value], j]\n"
    "        index_of.setdefault(value, j)\n"
    "    return []\n"
)
NAP_FAST = "def nap(x):\n    return x\n"
NAP_SLOW = "def nap(x):\n    import time\n    time.sleep(2)\n    return x\n"
SYNTAX_ERROR = "def broken(:\n"


class HeaderIdentityProvider(IdentityProvider):
    """Token-authenticated requests act as the user named in the ``X-Test-User`` header."""

    async def get_user(self, handler: Any) -> User | None:  # type: ignore[override]
        if await self._get_user(handler) is None:  # the usual token check
            return None
        return User(username=handler.request.headers.get(USER_HEADER, "alice"))


# --------------------------------------------------------------------------------------------
# Server set-up
# --------------------------------------------------------------------------------------------

SLOW_NAP_YAML = """\
id: slow-nap
title: Slow Nap
difficulty: easy
category: kodelab-test
tags: [testing]
language: python
time_limit_minutes: 0
statement: statement.md
starter: starter.py
solution: solution.py
entrypoint: nap
allow_solution_reveal: true
hints: ["Return the argument.", "Really, just return x."]
limits: {wall_seconds: 8}
tests:
  - {name: echo, visible: true, args: [41], expected: 41}
"""


@pytest.fixture
def extra_challenges(tmp_path: Path) -> Path:
    """A challenge folder of our own: ``slow-nap`` (one visible test, solution reveal on)."""
    root = tmp_path / "extra-challenges"
    folder = root / "slow-nap"
    folder.mkdir(parents=True)
    (folder / "challenge.yaml").write_text(SLOW_NAP_YAML)
    (folder / "statement.md").write_text("# Slow Nap\n\nReturn `x`.\n")
    (folder / "starter.py").write_text("def nap(x):\n    raise NotImplementedError\n")
    (folder / "solution.py").write_text("def nap(x):\n    return x  # the reference nap\n")
    return root


@pytest.fixture
def server_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Extra server config, given per test with ``indirect`` parametrization."""
    return getattr(request, "param", {})


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture
def jp_server_config(
    tmp_path: Path, extra_challenges: Path, server_overrides: dict[str, Any]
) -> dict[str, Any]:
    config = {
        "ServerApp": {
            "jpserver_extensions": {"kodelab_jupyter": True},
            "identity_provider_class": HeaderIdentityProvider,
        },
        "Store": {"db_url": f"sqlite:///{tmp_path / 'kodelab.sqlite'}"},
        "KodeLabApp": {"challenge_directories": [str(extra_challenges)]},
    }
    return _merge(config, server_overrides)


# --------------------------------------------------------------------------------------------
# Client helpers
# --------------------------------------------------------------------------------------------


@dataclass
class Reply:
    code: int
    text: str
    headers: Any

    @property
    def data(self) -> Any:
        return json.loads(self.text) if self.text else None


@dataclass
class Api:
    """``jp_fetch`` under /kodelab/api as one user; checks and keeps every response body."""

    fetch: Any
    user: str = "alice"
    bodies: list[str] = field(default_factory=list)

    def as_user(self, user: str) -> Api:
        return Api(self.fetch, user, self.bodies)

    async def call(
        self,
        method: str,
        *parts: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        api: bool = True,
    ) -> Reply:
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        if method in ("POST", "PUT") and body is None:
            body = ""
        prefix = ("kodelab", "api") if api else ()
        response = await self.fetch(
            *prefix,
            *parts,
            method=method,
            body=body,
            params=params,
            headers={USER_HEADER: self.user, **(headers or {})},
            raise_error=False,
        )
        text = response.body.decode("utf-8") if response.body else ""
        self.bodies.append(text)
        assert "Traceback" not in text, f"{method} {parts}: traceback in the body: {text[:500]}"
        if response.code >= 400 and api:
            assert response.headers.get("Content-Type", "").startswith("application/json"), text
            assert isinstance(json.loads(text).get("message"), str), text
        return Reply(response.code, text, response.headers)

    async def get(self, *parts: str, **kw: Any) -> Reply:
        return await self.call("GET", *parts, **kw)

    async def post(self, *parts: str, **kw: Any) -> Reply:
        return await self.call("POST", *parts, **kw)

    # -- the workflow ----------------------------------------------------------------------

    async def start(self, challenge_id: str) -> dict[str, Any]:
        reply = await self.post("challenges", challenge_id, "start")
        assert reply.code == 200, reply.text
        return reply.data

    async def submit(self, challenge_id: str, path: str) -> int:
        reply = await self.post("submissions", body={"challenge_id": challenge_id, "path": path})
        assert reply.code == 202, reply.text
        assert reply.data["status"] == "pending"
        return int(reply.data["id"])

    async def wait_done(self, submission_id: int, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            reply = await self.get("submissions", str(submission_id))
            assert reply.code == 200, reply.text
            if reply.data["status"] == "done":
                return reply.data
            assert time.monotonic() < deadline, f"submission {submission_id} never finished"
            await asyncio.sleep(0.1)

    async def progress(self, challenge_id: str) -> dict[str, Any]:
        reply = await self.get("challenges")
        assert reply.code == 200
        (entry,) = [c for c in reply.data if c["id"] == challenge_id]
        return entry["progress"]


@pytest.fixture
def api(jp_fetch: Any) -> Api:
    return Api(jp_fetch)


def answer_index(nb: nbformat.NotebookNode) -> int:
    (index,) = [
        i for i, c in enumerate(nb.cells) if c.metadata.get("kodelab", {}).get("role") == "answer"
    ]
    return index


def read_nb(root: Path, path: str) -> nbformat.NotebookNode:
    return nbformat.read(str(root / path), as_version=4)


def write_answer(root: Path, path: str, code: str) -> None:
    """Edit the answer cell on disk, as a student saving the notebook would."""
    nb = read_nb(root, path)
    nb.cells[answer_index(nb)].source = code
    nbformat.write(nb, str(root / path))


async def started_with_answer(api: Api, root: Path, challenge_id: str, code: str) -> str:
    path = (await api.start(challenge_id))["path"]
    write_answer(root, path, code)
    return path


# --------------------------------------------------------------------------------------------
# Hidden test content of two-sum
# --------------------------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def haystack(body: str) -> str:
    """A body as sent, re-serialized, and with every JSON string decoded (code has newlines)."""
    parts = [body]
    try:
        data = json.loads(body)
    except ValueError:
        return body
    parts.append(json.dumps(data))
    parts.append(json.dumps(data, separators=(",", ":")))
    parts.extend(_strings(data))
    return "\n".join(parts)


def public_text(view: dict[str, Any]) -> str:
    """What the public view of a challenge shows anyway: its statement and visible tests."""
    return view["statement"] + "\n" + haystack(json.dumps(view["visible_tests"]))


def two_sum_hidden() -> tuple[set[str], set[str]]:
    """(names, secrets) of two-sum's hidden tests; secrets are args, expected values, code."""
    spec = YAML(typ="safe").load(TWO_SUM_YAML.read_text())
    names: set[str] = set()
    secrets: set[str] = set()
    for test in spec["tests"]:
        if test.get("visible"):
            continue
        names.add(test["name"])
        values = []
        if "args" in test:
            values += [test["args"], *test["args"]]
        if "kwargs" in test:
            values.append(test["kwargs"])
        if "expected" in test:
            values.append(test["expected"])
        for value in values:
            for dumped in (json.dumps(value), json.dumps(value, separators=(",", ":"))):
                if len(dumped) > 3:
                    secrets.add(dumped)
        if "code" in test:
            secrets.add(test["code"])
            secrets.update(line.strip() for line in test["code"].splitlines() if len(line) > 3)
    return names, secrets


# --------------------------------------------------------------------------------------------
# Catalog and challenge views
# --------------------------------------------------------------------------------------------


async def test_catalog_lists_every_challenge_with_progress_and_filters(api: Api) -> None:
    everything = (await api.get("challenges")).data
    ids = [c["id"] for c in everything]
    assert {"two-sum", "slow-nap", "word-ladder"} <= set(ids) and len(ids) == len(set(ids))
    order = {"easy": 0, "medium": 1, "hard": 2}
    assert [order[c["difficulty"]] for c in everything] == sorted(
        order[c["difficulty"]] for c in everything
    )
    two_sum = next(c for c in everything if c["id"] == "two-sum")
    assert two_sum["title"] == "Two Sum" and two_sum["time_limit_minutes"] == 15
    assert two_sum["progress"] == {
        "attempts": 0,
        "best_score": 0,
        "max_score": None,
        "solved": False,
    }

    async def ids_for(**params: str) -> set[str]:
        reply = await api.get("challenges", params=params)
        assert reply.code == 200
        return {c["id"] for c in reply.data}

    def where(pred: Any) -> set[str]:
        return {c["id"] for c in everything if pred(c)}

    assert await ids_for(difficulty="hard") == where(lambda c: c["difficulty"] == "hard")
    assert await ids_for(category="graphs") == where(lambda c: c["category"] == "graphs")
    assert await ids_for(tag="hash-map") == where(lambda c: "hash-map" in c["tags"])
    assert "two-sum" in await ids_for(tag="hash-map")
    assert await ids_for(difficulty="easy", category="arrays") == {"two-sum", "max-profit"}
    assert await ids_for(q="Two Sum") == {"two-sum"}
    assert await ids_for(q="SLOW nap") == {"slow-nap"}
    assert await ids_for(difficulty="hard", category="arrays") == set()
    assert await ids_for(difficulty="") == set(ids)  # an empty filter is no filter


async def test_challenge_view_shows_the_public_parts_and_no_hidden_test(api: Api) -> None:
    reply = await api.get("challenges", "two-sum")
    assert reply.code == 200
    view = reply.data
    folder = TWO_SUM_YAML.parent
    assert view["id"] == "two-sum" and view["title"] == "Two Sum"
    assert view["statement"] == (folder / "statement.md").read_text()
    assert view["starter"] == (folder / "starter.py").read_text()
    assert view["time_limit_minutes"] == 15
    assert view["hint_count"] == 2 and view["hidden_test_count"] == 7
    assert view["visible_tests"] == [
        {
            "name": "example",
            "visible": True,
            "points": 1,
            "args": [[2, 7, 11, 15], 9],
            "expected": [0, 1],
        },
        {
            "name": "example-2",
            "visible": True,
            "points": 1,
            "args": [[1, 5, 8, 3], 11],
            "expected": [2, 3],
        },
    ]
    names, secrets = two_sum_hidden()
    text = haystack(reply.text)
    assert not names & {t["name"] for t in view["visible_tests"]}
    # Hidden values equal to public ones (e.g. the statement's [0, 1]) are not secret.
    assert {s for s in secrets if s in text} <= {s for s in secrets if s in public_text(view)}
    assert "hints" not in view and "solution" not in view and "tests" not in view


async def test_random_pick_honours_the_filters(api: Api) -> None:
    for _ in range(5):
        reply = await api.get(
            "challenges", "random", params={"difficulty": "hard", "category": "graphs"}
        )
        assert reply.code == 200
        assert reply.data["difficulty"] == "hard" and reply.data["category"] == "graphs"
        assert "statement" in reply.data and "hidden_test_count" in reply.data
    reply = await api.get("challenges", "random", params={"category": "kodelab-test"})
    assert reply.data["id"] == "slow-nap"
    reply = await api.get("challenges", "random", params={"difficulty": "impossible"})
    assert reply.code == 404 and reply.data["reason"] == "NotFound"


# --------------------------------------------------------------------------------------------
# Start
# --------------------------------------------------------------------------------------------


async def test_start_creates_the_notebook_under_kodelab_and_reopens_it_unchanged(
    api: Api, jp_root_dir: Path
) -> None:
    first = await api.start("two-sum")
    assert first["path"] == "kodelab/two-sum.ipynb"
    started = datetime.fromisoformat(first["started_at"])
    assert datetime.fromisoformat(first["deadline"]) - started == timedelta(minutes=15)
    nb = read_nb(jp_root_dir, first["path"])
    assert nb.metadata["kodelab"]["challenge_id"] == "two-sum"
    assert nb.cells[answer_index(nb)].source == (TWO_SUM_YAML.parent / "starter.py").read_text()

    write_answer(jp_root_dir, first["path"], TWO_SUM_WRONG)
    again = await api.start("two-sum")
    assert again == first  # same path, same start, same deadline
    nb = read_nb(jp_root_dir, first["path"])
    assert nb.cells[answer_index(nb)].source == TWO_SUM_WRONG  # never overwritten

    (jp_root_dir / first["path"]).unlink()  # deleted by the student: created again, same place
    assert (await api.start("two-sum"))["path"] == first["path"]
    assert (jp_root_dir / first["path"]).is_file()

    untimed = await api.start("slow-nap")
    assert untimed["path"] == "kodelab/slow-nap.ipynb" and untimed["deadline"] is None


async def test_start_never_overwrites_a_foreign_file_at_the_notebook_path(
    api: Api, jp_root_dir: Path
) -> None:
    (jp_root_dir / "kodelab").mkdir()
    foreign = jp_root_dir / "kodelab" / "two-sum.ipynb"
    foreign.write_text("my own notes")
    started = await api.start("two-sum")
    assert started["path"] == "kodelab/two-sum-1.ipynb"
    assert foreign.read_text() == "my own notes"
    assert read_nb(jp_root_dir, started["path"]).metadata["kodelab"]["challenge_id"] == "two-sum"


# --------------------------------------------------------------------------------------------
# The whole student workflow, with real kernels
# --------------------------------------------------------------------------------------------


@SANDBOX
async def test_start_run_submit_history_restore_flow_never_reveals_hidden_tests(
    api: Api, jp_root_dir: Path
) -> None:
    assert (await api.progress("two-sum"))["attempts"] == 0
    path = (await api.start("two-sum"))["path"]
    hints = (await api.get("challenges", "two-sum", "hints")).data
    assert hints["hints"] == [] and hints["total"] == 2 and hints["solution"] is None

    # Edit the answer through the contents API, as JupyterLab does.
    model = (await api.get("api", "contents", path, api=False)).data
    nb = model["content"]
    nb["cells"][answer_index(nbformat.from_dict(nb))]["source"] = TWO_SUM_WRONG
    nb["cells"].append(nbformat.v4.new_code_cell("scratch = 'my own cell'"))
    saved = await api.call(
        "PUT",
        "api",
        "contents",
        path,
        body={"type": "notebook", "format": "json", "content": nb},
        api=False,
    )
    assert saved.code == 200, saved.text

    # Run: visible tests only, and not an attempt.
    run = await api.post("challenges", "two-sum", "run", body={"path": path})
    assert run.code == 200, run.text
    assert run.data["verdict"] == "wrong_answer"
    assert [t["name"] for t in run.data["tests"]] == ["example", "example-2"]
    assert (await api.get("submissions", params={"challenge_id": "two-sum"})).data == []
    assert (await api.progress("two-sum"))["attempts"] == 0

    # Submit the wrong answer.
    wrong_id = await api.submit("two-sum", path)
    wrong = await api.wait_done(wrong_id)
    assert wrong["id"] == wrong_id and wrong["challenge_id"] == "two-sum"
    assert wrong["verdict"]["verdict"] == "wrong_answer"
    assert len(wrong["verdict"]["tests"]) == 9
    assert wrong["verdict"]["score"] < wrong["verdict"]["max_score"] == 11
    for row in wrong["verdict"]["tests"]:
        if not row["visible"]:
            assert row["message"] == "" or row["message"].isidentifier(), row
    hints = (await api.get("challenges", "two-sum", "hints")).data
    assert len(hints["hints"]) == 1 and hints["solution"] is None

    # Then the right one.
    write_answer(jp_root_dir, path, TWO_SUM_RIGHT)
    run = await api.post("challenges", "two-sum", "run", body={"path": path})
    assert run.data["verdict"] == "accepted" and run.data["score"] == run.data["max_score"] == 2
    right_id = await api.submit("two-sum", path)
    right = await api.wait_done(right_id)
    assert right["verdict"]["verdict"] == "accepted", right
    assert right["verdict"]["score"] == right["verdict"]["max_score"] == 11
    assert right["late"] is False

    # History: newest first, with the code snapshots.
    history = (await api.get("submissions", params={"challenge_id": "two-sum"})).data
    assert [h["id"] for h in history] == [right_id, wrong_id]
    assert [h["code"] for h in history] == [TWO_SUM_RIGHT, TWO_SUM_WRONG]
    assert history[0]["verdict"]["verdict"] == "accepted"
    assert [h["id"] for h in (await api.get("submissions")).data] == [right_id, wrong_id]

    # Restore the first submission: its code goes back into the answer cell only.
    before = read_nb(jp_root_dir, path)
    restored = await api.post("submissions", str(wrong_id), "restore")
    assert restored.code == 200, restored.text
    assert restored.data == {"path": path, "submission_id": wrong_id}
    after = read_nb(jp_root_dir, path)
    index = answer_index(after)
    assert after.cells[index].source == TWO_SUM_WRONG
    assert len(after.cells) == len(before.cells)
    for i, (old, new) in enumerate(zip(before.cells, after.cells, strict=True)):
        if i != index:
            assert new.source == old.source and new.metadata == old.metadata
    assert after.cells[-1].source == "scratch = 'my own cell'"
    assert after.metadata["kodelab"] == before.metadata["kodelab"]

    # Progress, and the random pick prefers what is not solved yet.
    progress = await api.progress("two-sum")
    assert progress == {"attempts": 2, "best_score": 11, "max_score": 11, "solved": True}
    for _ in range(6):
        pick = await api.get(
            "challenges", "random", params={"difficulty": "easy", "category": "arrays"}
        )
        assert pick.data["id"] == "max-profit"
    hints = (await api.get("challenges", "two-sum", "hints")).data
    assert hints["solution"] is None  # two-sum does not allow revealing its solution

    # Starting again reopens the notebook with the restored code.
    assert (await api.start("two-sum"))["path"] == path
    assert read_nb(jp_root_dir, path).cells[index].source == TWO_SUM_WRONG
    await api.get("api", "contents", path, api=False)  # the notebook as the browser sees it

    # No response of the whole flow carries a hidden test's arguments, expectations or code.
    names, secrets = two_sum_hidden()
    view = (await api.get("challenges", "two-sum")).data
    public = public_text(view) + TWO_SUM_WRONG + TWO_SUM_RIGHT
    secrets = {s for s in secrets if s not in public}
    assert len(secrets) >= 10
    assert any("[-3, 4, 3, 90]" in s for s in secrets) and any("199997" in s for s in secrets)
    for body in api.bodies:
        text = haystack(body)
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"hidden test content {leaked} in a response: {body[:300]}"
    # Hidden names appear only as verdict rows.
    assert names <= {row["name"] for row in right["verdict"]["tests"]}


LEAK_BY_CLASS_NAME = (
    "def _encode(value):\n"
    "    return str(value).replace('-', 'm').replace(', ', '_').replace('[', 'L').replace(']', 'J')\n"
    "\n"
    "def two_sum(nums, target):\n"
    "    name = 'leak' + _encode(nums[:12]) + 'T' + _encode(target)\n"
    "    raise type(name, (Exception,), {})()\n"
)


def leak_encoding(args: list[Any]) -> str:
    """What LEAK_BY_CLASS_NAME would turn a test's arguments into."""

    def encode(value: Any) -> str:
        return str(value).replace("-", "m").replace(", ", "_").replace("[", "L").replace("]", "J")

    nums, target = args
    return "leak" + encode(nums[:12]) + "T" + encode(target)


@SANDBOX
async def test_an_answer_cannot_smuggle_hidden_arguments_out_in_exception_class_names(
    api: Api, jp_root_dir: Path
) -> None:
    # A hidden test's row may carry the exception's class name, but the answer chooses that
    # name: it must not be able to spell the hidden arguments with it.
    path = await started_with_answer(api, jp_root_dir, "two-sum", LEAK_BY_CLASS_NAME)
    done = await api.wait_done(await api.submit("two-sum", path))
    assert done["verdict"]["verdict"] == "runtime_error"
    rows = {row["name"]: row for row in done["verdict"]["tests"]}
    assert rows["example"]["message"].startswith("leakL2_7_11_15JT9")  # visible: shown, fine
    spec = YAML(typ="safe").load(TWO_SUM_YAML.read_text())
    hidden_args = [t["args"] for t in spec["tests"] if not t.get("visible") and "args" in t]
    history = await api.get("submissions", params={"challenge_id": "two-sum"})
    for body in [json.dumps(done), history.text]:
        leaked = [leak_encoding(a) for a in hidden_args if leak_encoding(a) in body]
        assert not leaked, f"hidden arguments spelled out by class names: {leaked}"


# --------------------------------------------------------------------------------------------
# Hints and giving up
# --------------------------------------------------------------------------------------------


@SANDBOX
async def test_each_failed_submission_unlocks_one_more_hint_and_giving_up_unlocks_all(
    api: Api, jp_root_dir: Path
) -> None:
    path = await started_with_answer(api, jp_root_dir, "two-sum", SYNTAX_ERROR)
    seen = []
    for _ in range(3):
        done = await api.wait_done(await api.submit("two-sum", path))
        assert done["verdict"]["verdict"] == "compile_error"
        hints = (await api.get("challenges", "two-sum", "hints")).data
        seen.append(len(hints["hints"]))
    assert seen == [1, 2, 2]  # two-sum has two hints
    assert hints["gave_up"] is False

    gave_up = await api.post("challenges", "two-sum", "give-up")
    assert gave_up.code == 200
    assert gave_up.data["gave_up"] is True and len(gave_up.data["hints"]) == 2
    assert gave_up.data["solution"] is None  # not allowed by two-sum


async def test_giving_up_reveals_the_solution_when_the_challenge_allows_it(api: Api) -> None:
    await api.start("slow-nap")
    hints = (await api.get("challenges", "slow-nap", "hints")).data
    assert hints == {
        "challenge_id": "slow-nap",
        "hints": [],
        "total": 2,
        "gave_up": False,
        "solution": None,
    }
    gave_up = (await api.post("challenges", "slow-nap", "give-up")).data
    assert gave_up["hints"] == ["Return the argument.", "Really, just return x."]
    assert gave_up["solution"] == "def nap(x):\n    return x  # the reference nap\n"
    assert (await api.post("challenges", "slow-nap", "give-up")).code == 200  # idempotent


async def test_giving_up_before_starting_is_a_conflict(api: Api) -> None:
    reply = await api.post("challenges", "two-sum", "give-up")
    assert reply.code == 409 and reply.data["reason"] == "Conflict"
    assert "solution" not in reply.text


# --------------------------------------------------------------------------------------------
# Error paths
# --------------------------------------------------------------------------------------------


async def test_malformed_or_incomplete_bodies_are_400(api: Api, jp_root_dir: Path) -> None:
    path = (await api.start("two-sum"))["path"]
    cases: list[tuple[tuple[str, ...], Any]] = [
        (("submissions",), "{not json"),
        (("submissions",), b"\xff\xfe"),
        (("submissions",), "[1, 2]"),
        (("submissions",), {}),
        (("submissions",), {"challenge_id": "two-sum"}),
        (("submissions",), {"path": path}),
        (("submissions",), {"challenge_id": 7, "path": path}),
        (("submissions",), {"challenge_id": "two-sum", "path": ""}),
        (("submissions",), {"challenge_id": "two-sum", "path": ["kodelab/two-sum.ipynb"]}),
        (("submissions",), {"challenge_id": "two-sum", "path": "kodelab/two-sum.py"}),
        (("challenges", "two-sum", "run"), "{"),
        (("challenges", "two-sum", "run"), {}),
        (("challenges", "two-sum", "run"), {"path": None}),
    ]
    for parts, body in cases:
        reply = await api.post(*parts, body=body)
        assert reply.code == 400, (parts, body, reply.text)
        assert reply.data["reason"] == "BadRequest"
    big = await api.post(
        "submissions", body={"challenge_id": "two-sum", "path": path, "x": "y" * 70_000}
    )
    assert big.code == 413
    assert (await api.get("submissions")).data == []  # nothing was recorded


async def test_unknown_challenges_and_submissions_are_json_404(api: Api) -> None:
    for method, parts, body in [
        ("GET", ("challenges", "no-such-thing"), None),
        ("POST", ("challenges", "no-such-thing", "start"), None),
        ("POST", ("challenges", "no-such-thing", "run"), {"path": "x.ipynb"}),
        ("GET", ("challenges", "no-such-thing", "hints"), None),
        ("POST", ("challenges", "no-such-thing", "give-up"), None),
        ("POST", ("submissions",), {"challenge_id": "no-such-thing", "path": "x.ipynb"}),
        ("GET", ("submissions", "424242"), None),
        ("POST", ("submissions", "424242", "restore"), None),
    ]:
        reply = await api.call(method, *parts, body=body)
        assert reply.code == 404, (method, parts, reply.text)
        assert reply.data["reason"] == "NotFound"


async def test_out_of_range_submission_ids_are_404_not_500(api: Api) -> None:
    # Past SQLite's 64-bit integers: the id cannot exist, so it is simply not found.
    for method, parts in [
        ("GET", ("submissions", "99999999999999999999999")),
        ("POST", ("submissions", "99999999999999999999999", "restore")),
    ]:
        reply = await api.call(method, *parts)
        assert reply.code == 404, (method, parts, reply.code, reply.text)


async def test_unknown_endpoints_under_the_api_are_json_404(api: Api) -> None:
    for method, parts in [
        ("GET", ("nope",)),
        ("GET", ("challenges", "two-sum", "solution")),
        ("POST", ("challenges", "two-sum", "nope")),
        ("GET", ("challenges", "Two_Sum")),
        ("GET", ("submissions", "abc")),
        ("GET", ("submissions", "1", "code")),
    ]:
        reply = await api.call(method, *parts)
        assert reply.code == 404, (method, parts, reply.text)
        assert reply.data["reason"] == "NotFound"
        assert "no such endpoint" in reply.data["message"]
    for method in ["PUT", "DELETE", "PATCH"]:
        reply = await api.call(method, "nope", body="{}" if method != "DELETE" else None)
        assert reply.code in (404, 405), (method, reply.code)  # a JSON error either way


async def test_paths_outside_the_root_are_400(api: Api, tmp_path: Path) -> None:
    await api.start("two-sum")
    (tmp_path / "x.ipynb").write_text("{}")  # exists just above the root
    for bad in ["../x.ipynb", "/etc/x.ipynb", "kodelab/../../x.ipynb", "..\\x.ipynb", "  /x.ipynb"]:
        run = await api.post("challenges", "two-sum", "run", body={"path": bad})
        sub = await api.post("submissions", body={"challenge_id": "two-sum", "path": bad})
        for reply in (run, sub):
            assert reply.code == 400, (bad, reply.text)
            assert reply.data["reason"] == "BadRequest"


async def test_missing_notebook_is_404(api: Api) -> None:
    await api.start("two-sum")
    for body in [
        {"path": "kodelab/nothing.ipynb"},
        {"challenge_id": "two-sum", "path": "nothing.ipynb"},
    ]:
        parts = ("challenges", "two-sum", "run") if "challenge_id" not in body else ("submissions",)
        reply = await api.post(*parts, body=body)
        assert reply.code == 404 and reply.data["reason"] == "NotFound", reply.text


async def test_notebooks_that_are_not_this_challenges_answer_are_422(
    api: Api, jp_root_dir: Path
) -> None:
    two_sum = (await api.start("two-sum"))["path"]
    palindrome = (await api.start("valid-palindrome"))["path"]
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hello')")])
    nbformat.write(plain, str(jp_root_dir / "plain.ipynb"))
    no_answer = read_nb(jp_root_dir, two_sum)
    del no_answer.cells[answer_index(no_answer)].metadata["kodelab"]
    nbformat.write(no_answer, str(jp_root_dir / "no-answer.ipynb"))
    (jp_root_dir / "garbage.ipynb").write_text("this is not JSON")
    for path in [palindrome, "plain.ipynb", "no-answer.ipynb", "garbage.ipynb"]:
        run = await api.post("challenges", "two-sum", "run", body={"path": path})
        sub = await api.post("submissions", body={"challenge_id": "two-sum", "path": path})
        for reply in (run, sub):
            assert reply.code == 422, (path, reply.text)
    assert (await api.get("submissions")).data == []


async def test_oversize_notebook_is_413_and_oversize_answer_is_422(
    api: Api, jp_root_dir: Path
) -> None:
    path = (await api.start("two-sum"))["path"]
    nb = read_nb(jp_root_dir, path)
    nb.cells.append(nbformat.v4.new_markdown_cell("x" * (5 * 1024 * 1024 + 1000)))
    nbformat.write(nb, str(jp_root_dir / "kodelab" / "huge.ipynb"))
    long_answer = "def two_sum(nums, target):\n    return [0, 1]\n" + "# padding\n" * 10_500
    assert len(long_answer.encode()) > 100 * 1024
    write_answer(jp_root_dir, path, long_answer)
    for notebook, status in [("kodelab/huge.ipynb", 413), (path, 422)]:
        run = await api.post("challenges", "two-sum", "run", body={"path": notebook})
        sub = await api.post("submissions", body={"challenge_id": "two-sum", "path": notebook})
        for reply in (run, sub):
            assert reply.code == status, (notebook, reply.code, reply.text[:300])
            assert len(reply.text) < 1000
    assert (await api.get("submissions")).data == []


@SANDBOX
async def test_a_second_submission_while_one_is_in_flight_is_429_with_retry_after(
    api: Api, jp_root_dir: Path
) -> None:
    path = await started_with_answer(api, jp_root_dir, "slow-nap", NAP_SLOW)
    first = await api.submit("slow-nap", path)
    second = await api.post("submissions", body={"challenge_id": "slow-nap", "path": path})
    assert second.code == 429, second.text
    assert second.data["reason"] == "RateLimited"
    assert int(second.headers["Retry-After"]) >= 1
    run = await api.post("challenges", "slow-nap", "run", body={"path": path})
    assert run.code == 429 and "Retry-After" in run.headers
    done = await api.wait_done(first)
    assert done["verdict"]["verdict"] == "accepted"
    assert [h["id"] for h in (await api.get("submissions")).data] == [first]


@SANDBOX
@pytest.mark.parametrize(
    "server_overrides", [{"PracticeService": {"submissions_per_minute": 2}}], indirect=True
)
async def test_more_submissions_per_minute_than_allowed_are_429(
    api: Api, jp_root_dir: Path
) -> None:
    path = await started_with_answer(api, jp_root_dir, "two-sum", SYNTAX_ERROR)
    for _ in range(2):
        await api.wait_done(await api.submit("two-sum", path))
    third = await api.post("submissions", body={"challenge_id": "two-sum", "path": path})
    assert third.code == 429, third.text
    assert 1 <= int(third.headers["Retry-After"]) <= 61
    assert "per minute" in third.data["message"]
    assert len((await api.get("submissions")).data) == 2
    other = await api.as_user("bob").start("two-sum")  # the limit is per user
    write_answer(jp_root_dir, other["path"], SYNTAX_ERROR)
    await api.as_user("bob").wait_done(await api.as_user("bob").submit("two-sum", other["path"]))


# --------------------------------------------------------------------------------------------
# Authentication and users
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "server_overrides",
    [{}, {"ServerApp": {"identity_provider_class": IdentityProvider}}],
    ids=["header-identity", "default-token-identity"],
    indirect=True,
)
async def test_requests_without_a_valid_token_are_refused_without_data(api: Api) -> None:
    for token in ["", "token not-the-token"]:
        for method, parts in [
            ("GET", ("challenges",)),
            ("GET", ("challenges", "two-sum")),
            ("GET", ("challenges", "random")),
            ("POST", ("challenges", "two-sum", "start")),
            ("GET", ("submissions",)),
            ("GET", ("challenges", "two-sum", "hints")),
        ]:
            reply = await api.call(method, *parts, headers={"Authorization": token})
            assert reply.code in (401, 403), (method, parts, reply.code)
            assert "two-sum" not in reply.text and "Two Sum" not in reply.text
    # The same request with the token works.
    assert (await api.get("challenges")).code == 200


@pytest.mark.parametrize(
    "server_overrides",
    [
        {
            "ServerApp": {"identity_provider_class": IdentityProvider},
            "KodeLabApp": {"local_user": "carol"},
        }
    ],
    indirect=True,
)
async def test_default_token_identity_is_one_local_user_across_requests(
    api: Api, jp_serverapp: Any
) -> None:
    first = await api.start("two-sum")
    assert await api.start("two-sum") == first  # not a new anonymous user per request
    store = jp_serverapp.web_app.settings["kodelab"].store
    assert store.get_start("carol", "two-sum") is not None


@SANDBOX
async def test_users_never_see_each_others_submissions_history_or_progress(
    api: Api, jp_root_dir: Path
) -> None:
    alice, bob = api.as_user("alice"), api.as_user("bob")
    path = await started_with_answer(alice, jp_root_dir, "slow-nap", NAP_FAST)
    mine = await alice.submit("slow-nap", path)
    assert (await alice.wait_done(mine))["verdict"]["verdict"] == "accepted"

    for reply in [
        await bob.get("submissions", str(mine)),
        await bob.post("submissions", str(mine), "restore"),
    ]:
        assert reply.code == 404 and reply.data["reason"] == "NotFound", reply.text
        assert NAP_FAST not in haystack(reply.text)
    assert (await bob.get("submissions")).data == []
    assert (await bob.get("submissions", params={"challenge_id": "slow-nap"})).data == []
    assert (await bob.progress("slow-nap")) == {
        "attempts": 0,
        "best_score": 0,
        "max_score": None,
        "solved": False,
    }
    assert (await bob.get("challenges", "slow-nap", "hints")).data["solution"] is None
    assert (await bob.post("challenges", "slow-nap", "give-up")).code == 409  # bob never started

    # Bob's own start gets its own notebook; Alice's is left alone.
    assert (await bob.start("slow-nap"))["path"] != path
    nb = read_nb(jp_root_dir, path)
    assert nb.cells[answer_index(nb)].source == NAP_FAST

    assert (await alice.progress("slow-nap"))["solved"] is True
    assert [h["id"] for h in (await alice.get("submissions")).data] == [mine]
    assert (await alice.get("submissions", str(mine))).code == 200


# --------------------------------------------------------------------------------------------
# Events and responsiveness
# --------------------------------------------------------------------------------------------


@SANDBOX
async def test_a_graded_submission_emits_the_verdict_event(
    api: Api, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    events: list[dict[str, Any]] = []

    async def on_verdict(logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        events.append({"schema_id": schema_id, **data})

    jp_serverapp.event_logger.add_listener(schema_id=VERDICT_EVENT, listener=on_verdict)
    path = await started_with_answer(api, jp_root_dir, "slow-nap", NAP_FAST)
    submission_id = await api.submit("slow-nap", path)
    await api.wait_done(submission_id)
    for _ in range(50):
        if events:
            break
        await asyncio.sleep(0.1)
    assert events == [
        {
            "schema_id": VERDICT_EVENT,
            "submission_id": submission_id,
            "challenge_id": "slow-nap",
            "status": "done",
            "verdict": "accepted",
            "score": 1,
            "max_score": 1,
        }
    ]


@SANDBOX
async def test_server_answers_quickly_while_four_submissions_grade(
    api: Api, jp_root_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = [api.as_user(f"user{i}") for i in range(4)]
    paths = [await started_with_answer(u, jp_root_dir, "slow-nap", NAP_SLOW) for u in users]
    ids = [await u.submit("slow-nap", p) for u, p in zip(users, paths, strict=True)]

    latencies = []
    for _ in range(10):
        began = time.perf_counter()
        reply = await api.get("challenges")
        latencies.append(time.perf_counter() - began)
        assert reply.code == 200 and len(reply.data) > 15
        await asyncio.sleep(0.2)
    states = [
        (await u.get("submissions", str(i))).data["status"] for u, i in zip(users, ids, strict=True)
    ]
    with capsys.disabled():
        print(
            f"\ncatalog latency while grading (ms): {[round(x * 1000, 1) for x in latencies]}; "
            f"max {max(latencies) * 1000:.1f}; statuses after: {states}"
        )
    assert any(s != "done" for s in states), "grading ended before the measurements did"
    assert max(latencies) < 1.0

    for user, submission_id in zip(users, ids, strict=True):
        done = await user.wait_done(submission_id)
        assert done["verdict"]["verdict"] == "accepted", done
