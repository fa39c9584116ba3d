"""Smoke test of ``kodelab bench all``: a tiny version of every benchmark, end to end.

3 latency submissions (local+pool, no pool, the REST API of a real server, plain nbclient),
a regrade of 5 submissions and 3 students on the REST API; no nbgrader, no docker. It checks
the result files have the expected series and that every verdict was ``accepted``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kodelab_jupyter.bench import run_all
from kodelab_jupyter.bench.latency import LatencyOptions
from kodelab_jupyter.bench.load import LoadOptions
from kodelab_jupyter.bench.regrade import RegradeOptions
from kodelab_jupyter.cli import build_parser

pytestmark = pytest.mark.sandbox


def test_bench_all_tiny_end_to_end(tmp_path: Path) -> None:
    began = time.monotonic()
    status = run_all(
        "two-sum",
        tmp_path,
        LatencyOptions(runs=3, docker=False, nbgrader=False, profile_runs=1),
        RegradeOptions(count=5, nbgrader=False),
        LoadOptions(students=3, submissions=1, ramp=3.0, timeout=120),
    )
    elapsed = time.monotonic() - began
    assert status == 0
    files = {p.name.split("-")[0]: p for p in tmp_path.glob("*.json")}
    assert set(files) == {"latency", "regrade", "load", "all"}

    latency = json.loads(files["latency"].read_text())
    series = latency["series"]
    for name in ("local-pool", "local-fresh", "api-pool", "nbclient"):
        assert series[name]["stats"]["n"] == 3, name
        assert len(series[name]["samples_s"]) == 3
        assert series[name]["stats"]["median"] > 0
    assert series["docker-pool"]["skipped"] == "not requested (--no-docker)"
    assert series["nbgrader"]["skipped"] == "not requested (--no-nbgrader)"
    assert set(series["local-pool"]["phases"]) == {"acquire", "answer", "tests", "teardown"}
    assert set(series["local-pool"]["per_test_median_s"]) >= {"example", "large-input"}
    assert latency["ratios"]["local-pool"]["vs_nbclient"] > 0
    assert latency["ratios"]["local-pool"]["vs_nbgrader"] is None
    goals = {t["goal"]: t for t in latency["targets"]}
    assert goals["local+pool p50 <= 0.2 s"]["met"] in (True, False)
    assert goals["docker+pool p50 <= 0.5 s"]["met"] is None
    assert Path(latency["profile"]["file"]).exists()

    regrade = json.loads(files["regrade"].read_text())
    for name in ("ours-pool", "ours-fresh"):
        assert regrade["series"][name]["submissions"] == 5
        assert "all unchanged (accepted)" in regrade["series"][name]["detail"]
    assert regrade["series"]["nbgrader"]["skipped"] == "not requested (--no-nbgrader)"

    load = json.loads(files["load"].read_text())["result"]
    assert load["verdicts_accepted"] == load["expected_verdicts"] == 3
    assert load["failures"] == 0, load["failure_details"]
    assert load["api_challenges_latency"]["n"] > 0
    assert load["distinct_notebook_paths"] == 3

    everything = json.loads(files["all"].read_text())
    assert {"latency", "regrade", "load", "targets"} <= set(everything)
    assert elapsed < 180  # about a minute on 2 CPUs


def test_bench_command_line_parses_every_benchmark() -> None:
    parser = build_parser()
    args = parser.parse_args(["bench", "--runs", "3"])  # the first version's form
    assert (args.which, args.runs) == ("latency", 3)
    args = parser.parse_args(["bench", "regrade", "--count", "200", "--no-nbgrader"])
    assert (args.which, args.count, args.no_nbgrader) == ("regrade", 200, True)
    args = parser.parse_args(["bench", "load", "--students", "50", "--timeout", "120"])
    assert (args.which, args.students, args.timeout) == ("load", 50, 120.0)
    args = parser.parse_args(["bench", "all", "--skip", "docker-pool", "--skip", "nbgrader"])
    assert (args.which, args.skip) == ("all", ["docker-pool", "nbgrader"])
