"""Grading latency, ours vs plain nbclient: a thin wrapper of ``kodelab bench``.

Usage: ``python benchmarks/grading_latency.py [--runs 10] [--challenge two-sum]
[--sandbox local]``. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys

from kodelab_jupyter.bench import run_benchmark


def main() -> int:
    """Parse the arguments and run the benchmark; its exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs per series")
    parser.add_argument("--challenge", default="two-sum", help="shipped challenge id or folder")
    parser.add_argument("--sandbox", default="local", help="local (default) | unsafe-local")
    args = parser.parse_args()
    return run_benchmark(runs=args.runs, challenge=args.challenge, sandbox=args.sandbox)


if __name__ == "__main__":
    sys.exit(main())
