"""KodeLab on a real JupyterHub with a real PostgreSQL: the hub service, students' servers as
thin proxies, scopes, the shared database under concurrent submissions, migrations.

The session fixture (as root, idempotently, via scripts/services) installs and starts
PostgreSQL and configurable-http-proxy if missing, makes a throw-away database, writes a
jupyterhub_config.py that *executes examples/jupyterhub_config.py as shipped* (the README's
snippet) and only adds what a test needs on top (free loopback ports, files in a tmp dir,
the dummy authenticator, the simple local spawner running as root, an admin token), starts
``jupyterhub`` and tears everything down at the end (PostgreSQL only if it started it).

Without root, set KODELAB_TEST_POSTGRES_URL (a role that may create databases) and install
configurable-http-proxy yourself. Under CI=true a missing piece fails; elsewhere it skips.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "jupyterhub_config.py"
SERVICES_SCRIPT = REPO / "scripts" / "services"
BIN = Path(sys.executable).parent
CHALLENGE = "two-sum"
COURSE = "cs101"
ASSIGNMENT = "hw1"
PASSWORD = "kodelab-test"
STUDENTS = ["alice", "bob"]
INSTRUCTOR = "teacher"  # a member of the "instructors" group in examples/jupyterhub_config.py
CROWD = [f"crowd{i:02d}" for i in range(10)]

TWO_SUM_RIGHT = (
    "def two_sum(nums, target):\n"
    "    seen = {}\n"
    "    for j, value in enumerate(nums):\n"
    "        if target - value in seen:\n"
    "            return [seen[target - value], j]\n"
    "        seen.setdefault(value, j)\n"
    "    return []\n"
)
TWO_SUM_WRONG = "def two_sum(nums, target):\n    return [0, 1]\n"
# Inputs and code of two-sum's hidden tests: no reply may contain any of them.
HIDDEN_MARKERS = [
    "-3, 4, 3, 90",
    "-3,4,3,90",
    "5, 1, 5]",
    "5,1,5]",
    "199997",
    "99998",
    "range(100000)",
]

pytestmark = [pytest.mark.hub, pytest.mark.timeout(420)]


def _missing(reason: str) -> None:
    """Fail under CI (the hub tests must run there), skip elsewhere."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"hub tests cannot run: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL role that may create databases (scripts/services as root)."""
    given = os.environ.get("KODELAB_TEST_POSTGRES_URL")
    started = False
    if os.geteuid() == 0:
        run = subprocess.run(
            [str(SERVICES_SCRIPT), "start"], capture_output=True, text=True, timeout=600
        )
        if run.returncode != 0:
            _missing(f"scripts/services start failed:\n{run.stderr[-2000:]}")
        values = dict(line.split("=", 1) for line in run.stdout.splitlines() if "=" in line)
        started = values.get("KODELAB_POSTGRES_STARTED") == "1"
        url = given or values["KODELAB_TEST_POSTGRES_URL"]
    elif given:
        url = given
    else:
        _missing("not root and KODELAB_TEST_POSTGRES_URL is not set")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed (pip install 'psycopg[binary]')")
    yield url
    if started:
        subprocess.run([str(SERVICES_SCRIPT), "stop"], check=False, timeout=120)


@contextlib.contextmanager
def _throwaway_database(server_url: str, label: str) -> Iterator[str]:
    """A fresh database on the server (dropped afterwards); yields its SQLAlchemy URL."""
    import psycopg
    from sqlalchemy import make_url

    base = make_url(server_url)
    name = f"kodelab_{label}_{secrets.token_hex(4)}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------------------------
# JupyterHub
# --------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """One HTTP reply."""

    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Hub:
    """A running JupyterHub with the KodeLab service."""

    url: str
    service_port: int
    admin_token: str
    db_url: str
    root: Path
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)
    replies: list[str] = field(default_factory=list)  # every body a student got back

    async def request(
        self, method: str, path: str, token: str, body: Any = None, record: bool = False
    ) -> Reply:
        headers = {"Authorization": f"token {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT"):
            data = b""
        request = HTTPRequest(
            self.url + path,
            method=method,
            headers=headers,
            body=data,
            request_timeout=120,
            follow_redirects=False,
        )
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        if response.code == 599:
            raise AssertionError(f"{method} {path}: {response.error}\n{self.tail()}")
        reply = Reply(response.code, response.body or b"", dict(response.headers))
        if record:
            self.replies.append(reply.text)
        return reply

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        reply = await self.request(method, f"/hub/api/{path}", self.admin_token, body)
        assert reply.status < 300, f"{method} {path}: {reply.status} {reply.text}"
        return reply.json() if reply.body else None

    async def ensure_users(self, names: list[str]) -> None:
        known = {u["name"] for u in await self.admin("GET", "users")}
        new = [n for n in names if n not in known]
        if new:
            await self.admin("POST", "users", {"usernames": new})
        for name in names:
            if name not in self.tokens:
                model = await self.admin("POST", f"users/{name}/tokens", {"note": "kodelab test"})
                self.tokens[name] = model["token"]

    async def start_servers(self, names: list[str]) -> None:
        for name in names:
            reply = await self.request("POST", f"/hub/api/users/{name}/server", self.admin_token)
            assert reply.status in (201, 202, 400), reply.text  # 400: already running
        deadline = time.monotonic() + 90
        waiting = set(names)
        while waiting and time.monotonic() < deadline:
            for name in list(waiting):
                model = await self.admin("GET", f"users/{name}")
                server = (model.get("servers") or {}).get("")
                if server and server.get("ready"):
                    waiting.discard(name)
            await asyncio.sleep(0.3)
        assert not waiting, f"servers of {sorted(waiting)} did not start\n{self.tail()}"

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # -- a student, through their own single-user server --------------------------------------

    async def student(self, name: str, method: str, path: str, body: Any = None) -> Reply:
        return await self.request(
            method, f"/user/{name}/kodelab/api/{path}", self.tokens[name], body, record=True
        )

    async def service(self, name: str, method: str, path: str, body: Any = None) -> Reply:
        """``name`` calling the KodeLab service directly (through the hub's proxy)."""
        return await self.request(
            method, f"/services/kodelab/kodelab/api/{path}", self.tokens[name], body, record=True
        )

    async def write_answer(self, name: str, path: str, code: str) -> None:
        url = f"/user/{name}/api/contents/{quote(path)}"
        reply = await self.request("GET", url + "?content=1&type=notebook", self.tokens[name])
        assert reply.status == 200, reply.text
        nb = reply.json()["content"]
        cells = [c for c in nb["cells"] if c["metadata"].get("kodelab", {}).get("role") == "answer"]
        assert cells, "the started notebook has an answer cell"
        cells[0]["source"] = code
        model = {"type": "notebook", "format": "json", "content": nb}
        saved = await self.request("PUT", url, self.tokens[name], model)
        assert saved.status in (200, 201), saved.text

    async def wait_done(self, name: str, submission_id: int, direct: bool = False) -> dict:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            call = self.service if direct else self.student
            reply = await call(name, "GET", f"submissions/{submission_id}")
            assert reply.status == 200, reply.text
            view = reply.json()
            if view["status"] == "done":
                return dict(view)
            await asyncio.sleep(0.3)
        raise AssertionError(f"submission {submission_id} not graded in time\n{self.tail()}")


HUB_CONFIG = """\
# Written by tests/test_hub.py: the shipped example, as is, then what the test needs.
import os

exec(compile(open({example!r}).read(), {example!r}, "exec"))

c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = {root!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {root!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {root!r} + "/cookie_secret"
c.JupyterHub.log_level = "INFO"

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {root!r} + "/home/{{username}}"
c.Spawner.args = ["--allow-root"]  # the test runs as root
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.Spawner.environment.update({spawner_env!r})

# Test knobs of the service: two grading runs in flight per user (the concurrency test).
c.JupyterHub.services[0]["command"] += {service_args!r}
c.JupyterHub.services[0]["environment"].update({service_env!r})

# An admin token for the test itself.
c.JupyterHub.services.append({{"name": "test-admin", "api_token": {admin_token!r}}})
c.JupyterHub.load_roles.append(
    {{
        "name": "test-admin",
        "scopes": ["admin:users", "admin:servers", "admin:server_state", "tokens",
                   "admin:groups", "list:users", "read:users"],
        "services": ["test-admin"],
    }}
)
"""


def _kill_marked(marker: str) -> None:
    """End processes still carrying our marker in their environment (by pid, ours only)."""
    needle = f"KODELAB_HUB_TEST={marker}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            with contextlib.suppress(OSError):
                os.kill(int(proc.name), signal.SIGKILL)


@pytest.fixture(scope="session")
def hub(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """JupyterHub + the KodeLab service on PostgreSQL, on loopback."""
    if shutil.which("jupyterhub", path=str(BIN)) is None:
        _missing("jupyterhub is not installed (pip install jupyterhub)")
    if shutil.which("configurable-http-proxy") is None:
        _missing("configurable-http-proxy is not installed (npm install -g ...)")
    root = tmp_path_factory.mktemp("hub")
    (root / "home").mkdir()
    with _throwaway_database(postgres_server, "hub") as db_url:
        marker = secrets.token_hex(8)
        port, hub_port, proxy_api_port, service_port = (_free_port() for _ in range(4))
        admin_token = secrets.token_hex(24)
        state = {
            "JUPYTER_CONFIG_DIR": str(root / "jupyter-config"),
            "JUPYTER_DATA_DIR": str(root / "jupyter-data"),
            "JUPYTER_RUNTIME_DIR": str(root / "jupyter-runtime"),
            "IPYTHONDIR": str(root / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "KODELAB_HUB_TEST": marker,
        }
        config = root / "jupyterhub_config.py"
        config.write_text(
            HUB_CONFIG.format(
                example=str(EXAMPLE),
                port=port,
                hub_port=hub_port,
                proxy_api_port=proxy_api_port,
                root=str(root),
                password=PASSWORD,
                spawner_env=state,
                service_args=["--PracticeService.grading_runs_per_user=2"],
                service_env=state,
                admin_token=admin_token,
            )
        )
        env = dict(os.environ, **state)
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env["KODELAB_SERVICE_URL"] = f"http://127.0.0.1:{service_port}"
        env["KODELAB_DB_URL"] = db_url
        env.pop("JUPYTERHUB_API_TOKEN", None)
        log = root / "jupyterhub.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(BIN / "jupyterhub"), "-f", str(config)],
                cwd=root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        hub = Hub(f"http://127.0.0.1:{port}", service_port, admin_token, db_url, root, log)
        try:
            asyncio.run(_wait_for_hub(hub, process))
            yield hub
        finally:
            process.send_signal(signal.SIGTERM)  # the hub stops the servers and the service
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            _kill_marked(marker)
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)


async def _wait_for_hub(hub: Hub, process: subprocess.Popen[bytes]) -> None:
    """Until the hub answers and the KodeLab service behind it does too."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"jupyterhub exited ({process.returncode})\n{hub.tail()}")
        with contextlib.suppress(Exception):
            hub_up = await hub.request("GET", "/hub/api/", hub.admin_token)
            service = await hub.request("GET", "/services/kodelab/", hub.admin_token)
            # The service answers (403: the admin token may not use it) behind the proxy.
            if hub_up.status == 200 and service.status in (200, 302, 403):
                return
        await asyncio.sleep(0.3)
    raise AssertionError(f"the hub or the KodeLab service did not come up\n{hub.tail()}")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# --------------------------------------------------------------------------------------------
# Two students and an instructor
# --------------------------------------------------------------------------------------------


def test_students_start_and_submit_through_their_servers(hub: Hub) -> None:
    async def scenario() -> None:
        await hub.ensure_users([*STUDENTS, INSTRUCTOR])
        # The instructor sets up the course before the students start.
        put_course = await hub.service(
            INSTRUCTOR, "PUT", f"instructor/courses/{COURSE}", {"title": "CS 101"}
        )
        assert put_course.status == 200, put_course.text
        assignment = {"title": "Homework 1", "challenge_ids": [CHALLENGE]}
        put = await hub.service(
            INSTRUCTOR, "PUT", f"instructor/courses/{COURSE}/assignments/{ASSIGNMENT}", assignment
        )
        assert put.status == 200, put.text
        enroll = await hub.service(
            INSTRUCTOR, "POST", f"instructor/courses/{COURSE}/enrollments", {"users": STUDENTS}
        )
        assert enroll.status in (200, 201), enroll.text

        await hub.start_servers(STUDENTS)
        answers = {"alice": TWO_SUM_RIGHT, "bob": TWO_SUM_WRONG}
        submitted: dict[str, int] = {}
        for name in STUDENTS:
            started = await hub.student(name, "POST", f"challenges/{CHALLENGE}/start")
            assert started.status == 200, started.text
            view = started.json()
            assert set(view) == {"path", "started_at", "deadline"}
            assert view["path"] == f"kodelab/{CHALLENGE}.ipynb"
            # The notebook was written by the student's own server, in their home.
            assert (hub.root / "home" / name / view["path"]).is_file()
            await hub.write_answer(name, view["path"], answers[name])
            run_ = await hub.student(
                name, "POST", f"challenges/{CHALLENGE}/run", {"path": view["path"]}
            )
            assert run_.status == 200, run_.text
            assert all(t["visible"] for t in run_.json()["tests"])
            reply = await hub.student(
                name, "POST", "submissions", {"challenge_id": CHALLENGE, "path": view["path"]}
            )
            assert reply.status == 202, reply.text
            submitted[name] = reply.json()["id"]

        alice = await hub.wait_done("alice", submitted["alice"])
        bob = await hub.wait_done("bob", submitted["bob"])
        assert alice["verdict"]["verdict"] == "accepted", alice
        assert bob["verdict"]["verdict"] == "wrong_answer", bob
        hidden = [t for t in alice["verdict"]["tests"] if not t["visible"]]
        assert hidden and all(
            set(t) <= {"name", "visible", "status", "points", "max_points", "duration_s", "message"}
            for t in hidden
        )

        # Restore: the service sends the code back, bob's server writes it into his notebook.
        await hub.write_answer("bob", f"kodelab/{CHALLENGE}.ipynb", "# scratch\n")
        restored = await hub.student("bob", "POST", f"submissions/{submitted['bob']}/restore")
        assert restored.status == 200, restored.text
        nb = json.loads((hub.root / "home" / "bob" / "kodelab" / f"{CHALLENGE}.ipynb").read_text())
        answer = [
            c for c in nb["cells"] if c["metadata"].get("kodelab", {}).get("role") == "answer"
        ]
        assert "".join(answer[0]["source"]) == TWO_SUM_WRONG

        # Each student sees only their own submissions, through their server or directly.
        assert (await hub.student("bob", "GET", f"submissions/{submitted['alice']}")).status == 404
        assert (await hub.service("bob", "GET", f"submissions/{submitted['alice']}")).status == 404
        assert (
            await hub.service("alice", "GET", f"submissions/{submitted['alice']}")
        ).status == 200
        history = (await hub.student("bob", "GET", f"submissions?challenge_id={CHALLENGE}")).json()
        assert [h["id"] for h in history] == [submitted["bob"]]
        # ... and cannot use another student's server at all.
        other = await hub.request(
            "GET", f"/user/alice/kodelab/api/submissions/{submitted['alice']}", hub.tokens["bob"]
        )
        assert other.status in (403, 404), other.status
        # Students are not instructors, whichever way they ask.
        for call in (hub.student, hub.service):
            denied = await call("alice", "GET", f"instructor/gradebook?course={COURSE}")
            assert denied.status == 403, denied.text
        # Interviews go through the same proxy: the session notebook is kept in the student's
        # home by their server, and a code round's answer is read from it there.
        started = await hub.student("alice", "POST", "interviews/orders-warmup/sessions")
        assert started.status == 201, started.text
        session = started.json()
        assert "notebook_error" not in session, session
        notebook = hub.root / "home" / "alice" / session["path"]
        assert notebook.is_file()
        cells_before = len(json.loads(notebook.read_text())["cells"])
        first = session["rounds"][0]["id"]
        graded = await hub.student(
            "alice",
            "POST",
            f"interview-sessions/{session['id']}/rounds/{first}/submit",
            {"path": session["path"]},
        )
        assert graded.status == 200, graded.text
        after = graded.json()
        assert after["rounds"][0]["status"] == "submitted" and "notebook_error" not in after
        assert len(json.loads(notebook.read_text())["cells"]) > cells_before  # round 2 added
        assert (
            await hub.student("bob", "GET", f"interview-sessions/{session['id']}")
        ).status == 404
        # The public views never carry hidden tests.
        challenge = await hub.student("alice", "GET", f"challenges/{CHALLENGE}")
        assert challenge.status == 200 and "tests" in challenge.text
        assert (await hub.student("alice", "GET", "challenges")).status == 200
        for body in hub.replies:
            for marker in HIDDEN_MARKERS:
                assert marker not in body, f"hidden test data {marker!r} in a reply: {body[:300]}"

    run(scenario())


def test_students_servers_hold_no_database_credentials(hub: Hub) -> None:
    async def servers() -> dict[str, Any]:
        return {n: (await hub.admin("GET", f"users/{n}"))["servers"][""] for n in STUDENTS}

    password = hub.db_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[-1]
    for name, server in run(servers()).items():
        pid = server["state"]["pid"]
        environ = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
        assert "KODELAB_HUB_SERVICE_URL=" in environ  # hub mode
        assert "KODELAB_DB_URL" not in environ and hub.db_url not in environ, name
        assert f":{password}@" not in environ, name


def test_instructor_sees_both_students_in_the_gradebook(hub: Hub) -> None:
    async def scenario() -> None:
        reply = await hub.service(INSTRUCTOR, "GET", f"instructor/gradebook?course={COURSE}")
        assert reply.status == 200, reply.text
        text = reply.text
        for name in STUDENTS:
            assert name in text, f"{name} missing from the gradebook: {text[:500]}"
        rows = reply.json()["rows"]
        scores = {r["student"]: r for r in rows if r.get("assignment") in (ASSIGNMENT, None)}
        assert set(STUDENTS) <= set(scores), rows

    run(scenario())


def test_instructor_exports_the_gradebook_as_csv(hub: Hub) -> None:
    async def scenario() -> None:
        reply = await hub.service(INSTRUCTOR, "GET", f"instructor/gradebook.csv?course={COURSE}")
        assert reply.status == 200, reply.text
        assert reply.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(reply.text)))
        assert {r["student"] for r in rows} >= set(STUDENTS), reply.text
        by_student = {r["student"]: r for r in rows if r["assignment"] == ASSIGNMENT}
        assert float(by_student["alice"]["score"]) > float(by_student["bob"]["score"])

    run(scenario())


def test_regrade_changes_nothing_for_unchanged_content(hub: Hub) -> None:
    async def scenario() -> None:
        before = (
            await hub.service(INSTRUCTOR, "GET", f"instructor/gradebook.csv?course={COURSE}")
        ).text
        reply = await hub.service(
            INSTRUCTOR, "POST", f"instructor/assignments/{ASSIGNMENT}/regrade"
        )
        assert reply.status == 200, reply.text
        report = reply.json()
        assert report["total"] >= len(STUDENTS), report
        assert report["changed"] == [] and not report["problems"], report
        assert report["unchanged"] == report["total"]
        after = (
            await hub.service(INSTRUCTOR, "GET", f"instructor/gradebook.csv?course={COURSE}")
        ).text
        assert after == before

    run(scenario())


def test_instructor_enrolls_a_hub_group_the_service_reads_from_the_hub(hub: Hub) -> None:
    async def scenario() -> None:
        path = f"instructor/courses/{COURSE}/enrollments"
        body = {"group": "instructors", "role": "instructor"}
        reply = await hub.service(INSTRUCTOR, "POST", path, body)
        assert reply.status == 200, reply.text
        assert reply.json()["added"] == [INSTRUCTOR]
        missing = await hub.service(INSTRUCTOR, "POST", path, {"group": "no-such-group"})
        assert missing.status == 404, missing.text
        roles = {e["user"]: e["role"] for e in (await hub.service(INSTRUCTOR, "GET", path)).json()}
        assert roles == {"alice": "student", "bob": "student", INSTRUCTOR: "instructor"}

    run(scenario())


class Browser:
    """A cookie-keeping client that follows redirects by hand (as a browser would)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.cookies: dict[str, str] = {}

    async def fetch(self, method: str, url: str, body: str | None = None) -> Any:
        from http.cookies import SimpleCookie

        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        target = url if url.startswith("http") else self.hub.url + url
        request = HTTPRequest(
            target, method=method, headers=headers, body=body, follow_redirects=False
        )
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        for header in response.headers.get_list("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    async def follow(self, url: str, limit: int = 10) -> Any:
        """GET ``url`` and its redirects; the last response."""
        for _ in range(limit):
            response = await self.fetch("GET", url)
            if response.code not in (301, 302, 303, 307):
                return response
            url = response.headers["Location"]
        raise AssertionError("too many redirects")


def test_instructor_uses_the_service_from_a_browser_with_hub_oauth(hub: Hub) -> None:
    """Log in to the hub, open the service: OAuth with the hub, then cookie-authenticated API."""
    from urllib.parse import urlencode

    async def scenario() -> None:
        browser = Browser(hub)
        await browser.fetch("GET", "/hub/login")
        form = urlencode(
            {"username": INSTRUCTOR, "password": PASSWORD, "_xsrf": browser.cookies["_xsrf"]}
        )
        login = await browser.fetch("POST", "/hub/login", form)
        assert login.code == 302, login.body
        index = await browser.follow("/services/kodelab/")
        assert index.code == 200, index.body
        me = json.loads(index.body)
        assert (me["user"], me["instructor"]) == (INSTRUCTOR, True)
        csv_reply = await browser.follow(
            f"/services/kodelab/kodelab/api/instructor/gradebook.csv?course={COURSE}"
        )
        assert csv_reply.code == 200, csv_reply.body
        assert {r["student"] for r in csv.DictReader(io.StringIO(csv_reply.body.decode()))} >= set(
            STUDENTS
        )
        # Without a token, a cookie-authenticated change needs the XSRF token.
        forged = await browser.fetch(
            "POST", f"/services/kodelab/kodelab/api/instructor/assignments/{ASSIGNMENT}/regrade", ""
        )
        assert forged.code == 403, forged.body

    run(scenario())


# --------------------------------------------------------------------------------------------
# Concurrency: many graders, one database
# --------------------------------------------------------------------------------------------


def _answer_notebook(code: str) -> dict[str, Any]:
    """A two-sum student notebook with ``code`` in its answer cell (as a server sends it)."""
    from kodelab_jupyter.content.catalog import SHIPPED_CHALLENGES, Catalog
    from kodelab_jupyter.content.notebook import build_notebook

    nb = build_notebook(Catalog([SHIPPED_CHALLENGES]).get(CHALLENGE))
    for cell in nb.cells:
        if cell.metadata.get("kodelab", {}).get("role") == "answer":
            cell.source = code
    return json.loads(json.dumps(nb))


def test_twenty_simultaneous_submissions_from_ten_users(hub: Hub) -> None:
    notebook = _answer_notebook(TWO_SUM_RIGHT)
    body = {"challenge_id": CHALLENGE, "path": f"kodelab/{CHALLENGE}.ipynb", "notebook": notebook}

    async def scenario() -> None:
        await hub.ensure_users(CROWD)
        started = time.monotonic()
        replies = await asyncio.gather(
            *(hub.service(name, "POST", "submissions", body) for name in CROWD for _ in range(2))
        )
        assert [r.status for r in replies] == [202] * 20, [
            r.text for r in replies if r.status != 202
        ]
        ids = [r.json()["id"] for r in replies]
        assert len(set(ids)) == 20
        owners = [name for name in CROWD for _ in range(2)]
        views = await asyncio.gather(
            *(hub.wait_done(name, sid, direct=True) for name, sid in zip(owners, ids, strict=True))
        )
        print(f"20 submissions from 10 users graded in {time.monotonic() - started:.1f}s")
        assert all(v["verdict"]["verdict"] == "accepted" for v in views)
        for name in CROWD:
            catalog = (await hub.service(name, "GET", "challenges")).json()
            progress = next(c["progress"] for c in catalog if c["id"] == CHALLENGE)
            assert progress["attempts"] == 2 and progress["solved"], (name, progress)

    run(scenario())

    from sqlalchemy import create_engine, text

    engine = create_engine(hub.db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT u.name, count(s.id), max(p.attempts) FROM users u"
                " JOIN submissions s ON s.user_id = u.id"
                " JOIN progress p ON p.user_id = u.id AND p.challenge_id = s.challenge_id"
                " WHERE u.name LIKE 'crowd%' AND s.kind = 'submit' GROUP BY u.name"
            )
        ).all()
    engine.dispose()
    assert sorted(rows) == [(name, 2, 2) for name in CROWD]


# --------------------------------------------------------------------------------------------
# Migrations on PostgreSQL
# --------------------------------------------------------------------------------------------


def test_db_upgrade_on_an_empty_postgresql_database(postgres_server: str) -> None:
    from sqlalchemy import inspect

    from kodelab_jupyter.store import Base, Store

    with _throwaway_database(postgres_server, "empty") as url:
        run_ = subprocess.run(
            [str(BIN / "kodelab"), "db", "upgrade", "--db-url", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run_.returncode == 0, run_.stderr
        store = Store(db_url=url)
        head = store.current_revision()
        assert head and head in run_.stdout
        assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())
        store.close()


def test_upgrade_from_the_previous_revision_keeps_data_on_postgresql(postgres_server: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from kodelab_jupyter.store import Store

    with _throwaway_database(postgres_server, "previous") as url:
        store = Store(db_url=url)
        scripts = ScriptDirectory.from_config(store.alembic_config())
        head = scripts.get_current_head()
        previous = scripts.get_revision(head).down_revision
        assert isinstance(previous, str)
        with store.engine.begin() as connection:
            command.upgrade(store.alembic_config(connection), previous)
        assert store.current_revision() == previous
        with store.engine.begin() as connection:
            for statement in (
                "INSERT INTO users (id, name, created_at) VALUES (1, 'ada', '2026-05-01 09:00:00')",
                "INSERT INTO challenges (id, content_hash, title, updated_at)"
                " VALUES ('two-sum', 'sha256:v1', 'Two Sum', '2026-05-01 09:00:00')",
                "INSERT INTO submissions (id, user_id, challenge_id, content_hash, kind, code,"
                " status, verdict, score, max_score, tests, late, created_at)"
                " VALUES (1, 1, 'two-sum', 'sha256:v1', 'submit', 'pass', 'done',"
                " 'wrong_answer', 2, 5, '[]', false, '2026-05-01 09:01:00')",
                "INSERT INTO progress (user_id, challenge_id, attempts, best_score, max_score,"
                " last_submission_at) VALUES (1, 'two-sum', 1, 2, 5, '2026-05-01 09:01:00')",
            ):
                connection.execute(text(statement))
            # Sequences do not see explicit ids: move them past the rows (as a real database is).
            connection.execute(text("SELECT setval('users_id_seq', 1)"))
            connection.execute(text("SELECT setval('submissions_id_seq', 1)"))

        run_ = subprocess.run(
            [str(BIN / "kodelab"), "db", "upgrade", "--db-url", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run_.returncode == 0, run_.stderr
        assert store.current_revision() == head
        kept = store.get_submission(1, user="ada")
        assert (kept.status, kept.verdict, kept.score, kept.code) == (
            "done",
            "wrong_answer",
            2,
            "pass",
        )
        assert store.progress("ada")["two-sum"].attempts == 1
        new = store.create_submission("ada", "two-sum", "sha256:v1", "again")
        assert new == 2
        store.close()


def test_store_suite_passes_on_postgresql(postgres_server: str) -> None:
    """tests/test_store.py (migrations, concurrent progress counters...) on PostgreSQL."""
    with _throwaway_database(postgres_server, "store") as url:
        env = dict(os.environ, KODELAB_TEST_POSTGRES_URL=url)
        run_ = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-x",
                str(REPO / "tests" / "test_store.py"),
                "-k",
                "postgresql",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=REPO,
        )
        summary = textwrap.shorten(run_.stdout[-3000:], 3000)
        assert run_.returncode == 0, summary
        assert " passed" in run_.stdout and " skipped" not in run_.stdout.splitlines()[-1], summary
