"""Benchmarks of grading (``kodelab bench``; see benchmarks/README.md).

* :func:`run_latency`: per-submission latency, submit -> verdict, of our judge (warm pool in
  the local and docker sandboxes, no pool, and through the REST API of a real server)
  against plain nbclient and ``nbgrader autograde``, interleaved on the same submissions;
* :func:`run_regrade`: a batch regrade of N submissions, ours in parallel against nbgrader's
  serial autograde;
* :func:`run_load`: N simulated students submitting through the REST API of a real server,
  with the API's latency probed meanwhile;
* :func:`run_all`: all three in one run.

:func:`run_benchmark` is the latency benchmark under its first name.
"""

from __future__ import annotations

from .run import run_all, run_benchmark, run_latency, run_load, run_regrade

__all__ = ["run_all", "run_benchmark", "run_latency", "run_load", "run_regrade"]
