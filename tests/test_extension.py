"""The server extension loads in a real jupyter-server and wires its services."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kodelab_jupyter.app import KodeLabApp


@pytest.fixture
def jp_server_config(tmp_path: Path) -> dict:
    return {
        "ServerApp": {"jpserver_extensions": {"kodelab_jupyter": True}},
        "Store": {"db_url": f"sqlite:///{tmp_path / 'kodelab.sqlite'}"},
    }


async def test_extension_loads_catalog_judge_and_database(jp_serverapp, tmp_path: Path) -> None:
    app = jp_serverapp.web_app.settings["kodelab"]
    assert isinstance(app, KodeLabApp)
    assert app.catalog is not None and len(app.catalog.challenges) >= 15
    assert not app.catalog.issues
    assert app.judge is not None and app.judge.sandbox.name == "local"
    assert app.store is not None and app.store.current_revision() is not None
    assert (tmp_path / "kodelab.sqlite").exists()


def test_jupyter_lists_the_extension_as_enabled_and_ok() -> None:
    jupyter = Path(sys.executable).with_name("jupyter")
    out = subprocess.run(
        [str(jupyter), "server", "extension", "list"], capture_output=True, text=True, check=True
    )
    text = out.stdout + out.stderr
    assert "kodelab_jupyter" in text
    assert "kodelab_jupyter 0.1.0" in text and "OK" in text.split("kodelab_jupyter 0.1.0")[1][:40]
