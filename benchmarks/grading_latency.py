"""Grading benchmarks: a thin wrapper of ``kodelab bench``.

Usage: ``python benchmarks/grading_latency.py [latency|regrade|load|all] [options]``, the
same arguments as ``kodelab bench`` (see benchmarks/README.md).
"""

from __future__ import annotations

import sys

from kodelab_jupyter.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
