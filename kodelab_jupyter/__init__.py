"""KodeLab for Jupyter: challenge notebooks judged against hidden tests in a sandboxed kernel."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt JupyterLab extension lives (for `jupyter labextension develop`)."""
    return [{"src": "labextension", "dest": "kodelab-jupyter"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Tell jupyter-server where the extension app lives."""
    from .app import KodeLabApp

    return [{"module": "kodelab_jupyter", "app": KodeLabApp}]
