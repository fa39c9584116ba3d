"""The ``kodelab`` command: validate, list, build, grade, db, image, doctor, distribute, enroll,
export, regrade, bench."""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import json
import logging
import os
import random
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .content.catalog import SHIPPED_CHALLENGES, Catalog, challenge_folders, resolve_challenge
from .content.challenge import CHALLENGE_FILE
from .content.errors import ContentError
from .content.notebook import write_notebook
from .grading.source import SubmissionError, read_answer

if TYPE_CHECKING:
    from .grading.service import GradingService
    from .hub.instructor import InstructorService, RegradeReport
    from .store import Store

log = logging.getLogger("kodelab")


def _directories(args: argparse.Namespace) -> list[Path]:
    extra = os.environ.get("KODELAB_CHALLENGE_PATH", "")
    dirs = [Path(p) for p in (args.challenges or [])]
    dirs += [Path(p) for p in extra.split(os.pathsep) if p]
    return dirs or [SHIPPED_CHALLENGES]


def cmd_validate(args: argparse.Namespace) -> int:
    """Print every content problem (challenges and interview scenarios) as ``file:line:
    message``; exit 1 if there is any."""
    from .interview.loader import SHIPPED_INTERVIEWS, InterviewCatalog, scenario_files

    paths = [Path(p) for p in args.paths] or [*_directories(args), SHIPPED_INTERVIEWS]
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        print(f"{path}:1: no such file or directory")
    folders = challenge_folders(paths)
    catalog = Catalog(folders)
    issues = list(catalog.issues)
    if any(c.spec.language == "sql" for c in catalog.challenges.values()):
        from .grading.sql import check_sql_challenge  # runs each reference query in DuckDB

        for challenge in catalog.challenges.values():
            issues += check_sql_challenge(challenge)
    scenarios = scenario_files(
        p for p in paths if p.is_dir() or (p.is_file() and p.name != CHALLENGE_FILE)
    )
    interviews = InterviewCatalog(scenarios)
    issues += interviews.issues
    for issue in issues:
        print(issue)
    ok = not issues and not missing
    if not folders and not scenarios and not missing:
        print(f"{', '.join(map(str, paths))}:1: no challenge folders or interview scenarios found")
        ok = False
    print(
        f"{len(catalog.challenges)} challenge(s) and {len(interviews.scenarios)} interview "
        f"scenario(s) valid, {len(issues) + len(missing)} problem(s)",
        file=sys.stderr,
    )
    return 0 if ok else 1


def cmd_list(args: argparse.Namespace) -> int:
    """List challenges, filtered; ``--random`` picks one."""
    catalog = Catalog(_directories(args))
    filters = {"difficulty": args.difficulty, "category": args.category, "tag": args.tag}
    if args.random:
        pick = catalog.random(rng=random.Random(args.seed), **filters)
        picked = [pick] if pick else []
    else:
        picked = catalog.filter(**filters)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        k: c.public_view()[k]
                        for k in ("id", "title", "difficulty", "category", "tags")
                    }
                    for c in picked
                ],
                indent=2,
            )
        )
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("id", "title", "difficulty", "category", "tags")
        for c in picked:
            table.add_row(
                c.id, c.spec.title, c.spec.difficulty, c.spec.category, ", ".join(c.spec.tags)
            )
        Console().print(table)
    return 0 if picked else 1


def cmd_build(args: argparse.Namespace) -> int:
    """Write a challenge's student notebook, or (for a folder of interview scenarios) the
    lobby index ``lobby.json``."""
    target = Path(args.challenge)
    if target.is_dir() and not (target / CHALLENGE_FILE).is_file():
        from .interview.loader import InterviewCatalog, lobby_index, scenario_files

        interviews = InterviewCatalog(scenario_files([target]))
        if interviews.issues:
            raise ContentError(interviews.issues)
        if interviews.scenarios:
            out = Path(args.output)
            out.mkdir(parents=True, exist_ok=True)
            path = out / "lobby.json"
            path.write_text(json.dumps(lobby_index(interviews), indent=2))
            print(path)
            return 0
    challenge = resolve_challenge(args.challenge, _directories(args))
    path = write_notebook(challenge, Path(args.output))
    print(path)
    return 0


def _sandbox_class(name: str) -> type:
    from .sandbox import SANDBOXES

    if name not in SANDBOXES:
        raise SystemExit(f"kodelab: unknown sandbox {name!r} (choose from {', '.join(SANDBOXES)})")
    if name == "unsafe-local":
        log.warning(
            "UNSAFE: grading WITHOUT a sandbox; the answer can read and change this machine"
        )
    return SANDBOXES[name]


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade a submission; with --json print exactly one Verdict JSON document."""
    from .grading.judge import Judge
    from .sandbox import SandboxUnavailable

    challenge = resolve_challenge(args.challenge, _directories(args))
    answer = read_answer(Path(args.submission))
    judge = Judge(sandbox_class=_sandbox_class(args.sandbox))
    problems = judge.sandbox.problems()
    if problems:
        raise SandboxUnavailable(" ".join(problems))
    if args.store:
        from .grading.service import GradingService
        from .store import Store

        store = Store(**({"db_url": args.db_url} if args.db_url else {}))
        store.ensure_schema()
        service = GradingService(judge, store, Catalog([]))
        submission_id = service.submit(args.user, challenge, answer)
        record = asyncio.run(service.grade(submission_id, challenge))
        verdict = record.to_verdict() or {}
        log.info("stored as submission %s", submission_id)
    else:
        verdict = asyncio.run(
            judge.grade(challenge, answer, visible_only=args.visible_only)
        ).to_json()
    if args.json:
        print(json.dumps(verdict))
    else:
        _print_verdict(verdict)
    return 0


def _print_verdict(verdict: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    colour = "green" if verdict["verdict"] == "accepted" else "red"
    console.print(
        f"[bold {colour}]{verdict['verdict']}[/] score {verdict['score']}/{verdict['max_score']}"
        f" in {verdict['duration_s']:.2f}s"
    )
    if verdict.get("message"):
        console.print(verdict["message"])
    table = Table("test", "visible", "status", "points", "message")
    for t in verdict["tests"]:
        table.add_row(
            t["name"],
            "yes" if t["visible"] else "no",
            t["status"],
            f"{t['points']}/{t['max_points']}",
            t["message"],
        )
    console.print(table)


def cmd_db(args: argparse.Namespace) -> int:
    """Database maintenance: ``upgrade`` to the newest schema, ``current`` revision."""
    from .store import Store

    store = Store(**({"db_url": args.db_url} if args.db_url else {}))
    if args.action == "upgrade":
        store.upgrade()
    # The engine's URL prints the password masked.
    print(f"{store.engine.url}: revision {store.current_revision()}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check this machine can grade: sandbox, content, database."""
    from .sandbox import SANDBOXES, DockerSandbox

    ok = True
    for name, cls in SANDBOXES.items():
        if name == "unsafe-local":
            continue
        sandbox = cls()
        problems = sandbox.problems()
        optional = name == "docker"  # the local sandbox is the default; docker is opt-in
        state = "OK" if not problems else "UNAVAILABLE: " + " ".join(problems)
        if isinstance(sandbox, DockerSandbox) and not problems:
            ready = sandbox.image_present()
            state += f" (image {sandbox.image_name()} " + (
                "ready)" if ready else "not built yet: `kodelab image build`, or on first use)"
            )
        print(f"sandbox {name}: {state}{' (optional)' if problems and optional else ''}")
        ok = ok and (not problems or optional)
    catalog = Catalog(_directories(args))
    print(f"challenges: {len(catalog.challenges)} loaded, {len(catalog.issues)} problem(s)")
    for issue in catalog.issues:
        print(f"  {issue}")
    ok = ok and not catalog.issues
    return 0 if ok else 1


def cmd_image(args: argparse.Namespace) -> int:
    """The docker sandbox's image: ``build`` it offline (debootstrap + pip, no registry)."""
    from .sandbox import SandboxUnavailable
    from .sandbox.docker import DockerSandbox
    from .sandbox.image import ImageBuildError

    options: dict = {"extra_packages": args.package or []}
    if args.cache_dir:
        options["cache_dir"] = args.cache_dir
    try:
        sandbox = DockerSandbox(**options)
        if args.print_tag:
            print(sandbox.image_name())
            return 0
        report = sandbox.builder().ensure(force=args.force, also_tag=args.tag or [])
    except ImageBuildError as exc:
        raise SandboxUnavailable(str(exc)) from exc
    if report.built:
        base = "cached base" if report.base_cached else "fresh base"
        print(f"image {report.tag} built in {report.seconds:.1f} s ({base})", file=sys.stderr)
    else:
        print(f"image {report.tag} is in the Docker engine (--force rebuilds)", file=sys.stderr)
    print(report.tag)
    for name in args.tag or []:
        print(name)
    return 0


# -- instructor commands: distribute, enroll, export grades, regrade ----------------------


def _instructor_store(args: argparse.Namespace) -> Store:
    from .store import Store

    store = Store(**({"db_url": args.db_url} if args.db_url else {}))
    store.ensure_schema()
    return store


def _instructor_service(
    args: argparse.Namespace, store: Store, grading: GradingService | None = None
) -> InstructorService:
    """The instructor service on the challenge directories and the shipped interviews."""
    from .hub.instructor import InstructorService
    from .interview.loader import SHIPPED_INTERVIEWS, InterviewCatalog

    interviews = InterviewCatalog([SHIPPED_INTERVIEWS]) if SHIPPED_INTERVIEWS.is_dir() else None
    catalog = grading.catalog if grading is not None else Catalog(_directories(args))
    return InstructorService(store, catalog, grading, interviews=interviews)


def _when(value: str | None, what: str) -> datetime | None:
    """An ISO 8601 time from the command line; without an offset it is this machine's time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SystemExit(f"kodelab: {what}: {value!r} is not an ISO 8601 date and time") from None
    return moment if moment.tzinfo else moment.astimezone()


def _instructor_command(func: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """Typed service errors (unknown ids, bad policy...) print a message and exit 2."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        from .errors import KodeLabError

        try:
            return func(args)
        except KodeLabError as exc:
            print(f"kodelab: {exc}", file=sys.stderr)
            return 2

    return run


@_instructor_command
def cmd_distribute(args: argparse.Namespace) -> int:
    """Publish challenges (and interviews) to a course as an assignment (create or update)."""
    policy = None
    if args.late_policy:
        try:
            policy = json.loads(args.late_policy)
        except ValueError:
            raise SystemExit("kodelab: --late-policy is not valid JSON") from None
    store = _instructor_store(args)
    service = _instructor_service(args, store)
    record = service.distribute(
        args.course,
        args.assignment,
        args.challenge,
        _when(args.opens, "--opens"),
        _when(args.due, "--due"),
        policy,
        title=args.title,
        interview_ids=args.interview or [],
        course_title=args.course_title,
    )
    print(
        f"assignment {record.id} of course {record.course_id}: "
        f"{len(record.challenge_ids)} challenge(s), {len(record.interview_ids)} interview(s), "
        f"opens {record.opens_at.isoformat()}, "
        f"due {record.due_at.isoformat() if record.due_at else 'never'}, "
        f"late policy {json.dumps(record.late_policy.to_json())}"
    )
    return 0


@_instructor_command
def cmd_enroll(args: argparse.Namespace) -> int:
    """Enroll users in a course by hand, sync a hub group's members, or remove users."""
    store = _instructor_store(args)
    service = _instructor_service(args, store)
    if args.remove:
        result = service.unenroll(args.course, args.users)
        print(f"removed from {args.course}: {', '.join(result['removed']) or 'nobody'}")
    elif args.group:
        result = service.sync_group(args.course, args.group, args.users, args.role)
        print(
            f"{result['source']} -> {args.course}: added {', '.join(result['added']) or 'nobody'};"
            f" removed {', '.join(result['removed']) or 'nobody'}"
        )
    else:
        result = service.enroll(args.course, args.users, args.role)
        print(f"enrolled in {args.course} as {args.role}: {', '.join(result['enrolled'])}")
    return 0


@_instructor_command
def cmd_export(args: argparse.Namespace) -> int:
    """Export a course's gradebook (one row per student x assignment) as CSV or JSON."""
    store = _instructor_store(args)
    service = _instructor_service(args, store)
    if args.format == "csv":
        text = service.gradebook_csv(args.course)
    else:
        text = json.dumps(service.gradebook_view(args.course), indent=2) + "\n"
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


@_instructor_command
def cmd_regrade(args: argparse.Namespace) -> int:
    """Regrade an assignment's submissions in parallel; show what changed."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from rich.table import Table

    from .grading.judge import Judge
    from .grading.service import GradingService
    from .sandbox import SandboxUnavailable

    judge = Judge(sandbox_class=_sandbox_class(args.sandbox))
    problems = judge.sandbox.problems()
    if problems:
        raise SandboxUnavailable(" ".join(problems))
    store = _instructor_store(args)
    catalog = Catalog(_directories(args))
    grading = GradingService(judge, store, catalog, concurrency=args.jobs or os.cpu_count() or 2)
    service = _instructor_service(args, store, grading)
    err = Console(stderr=True)

    async def regrade() -> RegradeReport:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=args.json,
        ) as bar:
            task = bar.add_task(f"regrading {args.assignment}", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                return await service.regrade(args.assignment, advance)
            finally:
                await judge.close()

    report = asyncio.run(regrade())
    if args.json:
        print(json.dumps(report.to_json()))
        return 0 if not report.problems else 1
    console = Console()
    console.print(
        f"{report.total} submission(s) regraded in {report.duration_s:.1f}s: "
        f"{len(report.changed)} changed, {report.unchanged} unchanged, "
        f"{len(report.problems)} problem(s)",
        soft_wrap=True,
    )
    if report.changed:
        table = Table("submission", "student", "challenge", "verdict", "score")
        for change in report.changed:
            old = "-" if change.old_score is None else f"{change.old_score:g}"
            table.add_row(
                str(change.submission_id),
                change.user,
                change.challenge_id,
                f"{change.old_verdict} -> {change.new_verdict}",
                f"{old} -> {change.new_score:g} / {change.new_max_score:g}",
            )
        console.print(table)
    for problem in report.problems:
        console.print(
            f"[red]submission {problem.submission_id} ({problem.challenge_id}): "
            f"{problem.message}; kept its stored result[/]"
        )
    return 0 if not report.problems else 1


def cmd_hub_service(args: argparse.Namespace) -> int:
    """Run the JupyterHub service (its own options are parsed by the service)."""
    from .hub.service import main as hub_main

    return hub_main(list(args.options))


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a benchmark: latency (default), regrade, load or all (see benchmarks/)."""
    from .bench import run_all, run_latency, run_load, run_regrade
    from .bench.latency import LatencyOptions
    from .bench.load import LoadOptions
    from .bench.regrade import RegradeOptions

    latency = LatencyOptions(
        runs=args.runs,
        docker=not args.no_docker,
        api=not args.no_api,
        nbgrader=not args.no_nbgrader,
        profile_runs=args.profile_runs,
        skip=list(args.skip or []),
    )
    regrade = RegradeOptions(count=args.count, jobs=args.jobs, nbgrader=not args.no_nbgrader)
    if args.nbgrader_venv:
        latency.nbgrader_venv = regrade.nbgrader_venv = Path(args.nbgrader_venv)
    load = LoadOptions(
        students=args.students,
        submissions=args.submissions,
        ramp=args.ramp,
        timeout=args.timeout,
        probe_interval=args.probe_ms / 1000,
        student_poll=args.student_poll_ms / 1000,
    )
    output = Path(args.output_dir) if args.output_dir else None
    if args.which == "regrade":
        return run_regrade(args.challenge, output, regrade)
    if args.which == "load":
        return run_load(args.challenge, output, load)
    if args.which == "all":
        return run_all(args.challenge, output, latency, regrade, load)
    return run_latency(args.challenge, output, latency)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="kodelab", description=__doc__)
    parser.add_argument(
        "--challenges",
        action="append",
        metavar="DIR",
        help="challenge directory (repeatable; default: the shipped library)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check challenge folders; file:line errors")
    p.add_argument("paths", nargs="*")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("list", help="list challenges")
    p.add_argument("--difficulty", choices=["easy", "medium", "hard"])
    p.add_argument("--category")
    p.add_argument("--tag")
    p.add_argument("--random", action="store_true", help="pick one at random")
    p.add_argument("--seed", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("build", help="write a student notebook (or the interview lobby index)")
    p.add_argument("challenge", help="challenge folder or id, or a folder of interview scenarios")
    p.add_argument("-o", "--output", default=".")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("grade", help="grade a submission (.ipynb, .py or .sql)")
    p.add_argument("challenge", help="challenge folder or id")
    p.add_argument("submission")
    p.add_argument("--json", action="store_true", help="print exactly one Verdict JSON document")
    p.add_argument("--sandbox", default="local", help="local (default) | docker | unsafe-local")
    p.add_argument("--visible-only", action="store_true", help="only the visible tests")
    p.add_argument("--store", action="store_true", help="record the submission in the database")
    p.add_argument("--user", default=getpass.getuser(), help="user recorded with --store")
    p.add_argument("--db-url", help="SQLAlchemy URL (default: SQLite in the Jupyter data dir)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("db", help="database schema")
    p.add_argument("action", choices=["upgrade", "current"])
    p.add_argument("--db-url")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("image", help="the docker sandbox's image (built offline)")
    image = p.add_subparsers(dest="action", required=True)
    q = image.add_parser(
        "build",
        help="build it unless the engine has it: debootstrap + venv + pip, then docker import",
    )
    q.add_argument(
        "--package",
        action="append",
        metavar="REQ",
        help="extra pip requirement for the image (repeatable; changes the image tag)",
    )
    q.add_argument(
        "--tag", action="append", metavar="NAME[:TAG]", help="also tag the image so (repeatable)"
    )
    q.add_argument("--force", action="store_true", help="rebuild even if the image exists")
    q.add_argument("--cache-dir", help="debootstrap + pip cache (default: in the Jupyter data dir)")
    q.add_argument("--print-tag", action="store_true", help="only print the image tag")
    q.set_defaults(func=cmd_image)

    p = sub.add_parser("doctor", help="check the sandbox and content on this machine")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("distribute", help="publish challenges to a course as an assignment")
    p.add_argument("course", help="course id (created if missing)")
    p.add_argument("assignment", help="assignment id (updated if it exists)")
    p.add_argument("challenge", nargs="+", help="challenge ids")
    p.add_argument("--title", help="assignment title (default: kept, or the id)")
    p.add_argument("--course-title", help="title of the course if it is created")
    p.add_argument(
        "--interview", action="append", metavar="ID", help="interview scenario (repeatable)"
    )
    p.add_argument("--opens", metavar="ISO", help="opening time (default: now; no offset = local)")
    p.add_argument("--due", metavar="ISO", help="due time (default: none; no offset = local)")
    p.add_argument(
        "--late-policy",
        metavar="JSON",
        help='e.g. \'{"mode": "penalty", "penalty_per_day": 0.1, "max_late_days": 3}\' '
        "(mode accept | penalty | reject; default accept)",
    )
    p.add_argument("--db-url", help="SQLAlchemy URL (default: SQLite in the Jupyter data dir)")
    p.set_defaults(func=cmd_distribute)

    p = sub.add_parser("enroll", help="enroll users in a course (or sync a hub group)")
    p.add_argument("course")
    p.add_argument("users", nargs="*", help="user names (with --group: all its members)")
    p.add_argument("--role", default="student", choices=["student", "instructor"])
    p.add_argument("--group", help="hub group whose members USERS are (sync: adds and removes)")
    p.add_argument("--remove", action="store_true", help="unenroll USERS")
    p.add_argument("--db-url")
    p.set_defaults(func=cmd_enroll)

    p = sub.add_parser("export", help="export grades")
    p.add_argument("what", choices=["grades"])
    p.add_argument("--course", required=True)
    p.add_argument("--format", default="csv", choices=["csv", "json"])
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--db-url")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("regrade", help="regrade an assignment's submissions; show changes")
    p.add_argument("--assignment", required=True)
    p.add_argument("--sandbox", default="local", help="local (default) | docker | unsafe-local")
    p.add_argument("--jobs", type=int, default=0, help="grading runs at once (default: CPUs)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document")
    p.add_argument("--db-url")
    p.set_defaults(func=cmd_regrade)

    p = sub.add_parser(
        "hub-service",
        help="run as a JupyterHub service: content, grader and database for every user",
        description="The KodeLab JupyterHub managed service (see examples/jupyterhub_config.py)."
        " Options: --db-url URL, --config FILE, --log-level LEVEL and any --Class.trait=value"
        " (KodeLabHubService, Store, Judge, PracticeService...).",
    )
    p.add_argument("options", nargs=argparse.REMAINDER, help="options of the service")
    p.set_defaults(func=cmd_hub_service)

    p = sub.add_parser(
        "bench",
        help="benchmarks: latency (ours vs nbclient vs nbgrader), regrade, load, all",
        description="Grading benchmarks; results go to benchmarks/results/*.json.",
    )
    p.add_argument(
        "which",
        nargs="?",
        default="latency",
        choices=["latency", "regrade", "load", "all"],
        help="latency: per-submission submit -> verdict, every series interleaved (default); "
        "regrade: a batch regrade, ours in parallel vs nbgrader serial; load: simulated "
        "students on the REST API of a real server; all: the three in one run",
    )
    p.add_argument("--challenge", default="two-sum", help="shipped challenge id or folder")
    p.add_argument("--output-dir", metavar="DIR", help="default: benchmarks/results")
    p.add_argument("--runs", type=int, default=10, help="latency: submissions (default 10)")
    p.add_argument("--no-docker", action="store_true", help="latency: no docker+pool series")
    p.add_argument("--no-api", action="store_true", help="latency: no REST API series")
    p.add_argument(
        "--skip",
        action="append",
        choices=["local-pool", "docker-pool", "local-fresh", "api-pool", "nbclient", "nbgrader"],
        help="latency: leave a series out (repeatable)",
    )
    p.add_argument(
        "--profile-runs",
        type=int,
        default=5,
        help="latency: extra local+pool runs under cProfile (0: none; default 5)",
    )
    p.add_argument(
        "--no-nbgrader", action="store_true", help="latency, regrade: no nbgrader baseline"
    )
    p.add_argument(
        "--nbgrader-venv",
        metavar="DIR",
        help="nbgrader's own virtual environment, created the first time "
        "(default: benchmarks/.venv-nbgrader)",
    )
    p.add_argument("--count", type=int, default=200, help="regrade: submissions (default 200)")
    p.add_argument(
        "--jobs", type=int, default=0, help="regrade: grading runs at once (default: CPUs)"
    )
    p.add_argument("--students", type=int, default=50, help="load: students (default 50)")
    p.add_argument(
        "--submissions", type=int, default=2, help="load: submissions per student (default 2)"
    )
    p.add_argument(
        "--ramp", type=float, default=2.0, help="load: seconds over which students start"
    )
    p.add_argument(
        "--timeout", type=float, default=300.0, help="load: stop after this many seconds"
    )
    p.add_argument(
        "--probe-ms", type=float, default=50.0, help="load: API probe interval (default 50)"
    )
    p.add_argument(
        "--student-poll-ms",
        type=float,
        default=150.0,
        help="load: how often students poll their submission (default 150, as the extension)",
    )
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kodelab`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["hub-service"] and argv[1:2] not in (["-h"], ["--help"]):
        # The service parses its own (traitlets) options: --db-url, --Store.db_url=...
        return cmd_hub_service(argparse.Namespace(options=argv[1:]))
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from .sandbox import SandboxUnavailable
    from .store import StoreError

    try:
        return int(args.func(args))
    except ContentError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return 1
    except (SubmissionError, SandboxUnavailable, StoreError) as exc:
        print(f"kodelab: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
