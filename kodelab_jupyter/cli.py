"""The ``kodelab`` command: validate, list, build, grade, db, image, doctor, bench."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from .content.catalog import SHIPPED_CHALLENGES, Catalog, challenge_folders, resolve_challenge
from .content.challenge import CHALLENGE_FILE
from .content.errors import ContentError
from .content.notebook import write_notebook
from .grading.source import SubmissionError, read_answer

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
    print(f"{store.db_url}: revision {store.current_revision()}")
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


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the grading-latency benchmark (see benchmarks/)."""
    from .bench import run_benchmark

    return run_benchmark(runs=args.runs, challenge=args.challenge, sandbox=args.sandbox)


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

    p = sub.add_parser("bench", help="grading latency: ours vs plain nbclient")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--challenge", default="two-sum")
    p.add_argument("--sandbox", default="local")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kodelab`` console script."""
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
