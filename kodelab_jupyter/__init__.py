"""KodeLab for Jupyter: challenge notebooks judged against hidden tests in a sandboxed kernel."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Tell jupyter-server where the extension app lives."""
    from .app import KodeLabApp

    return [{"module": "kodelab_jupyter", "app": KodeLabApp}]
