"""Jupyter server configuration of the browser tests (never use it in production: it turns
security off so that Galata can drive the page).

scripts/ui-test points JUPYTER_DATA_DIR (the KodeLab database lives there), the other Jupyter
state folders and JUPYTERLAB_GALATA_ROOT_DIR (the server's root) at a temporary folder.
"""

import getpass
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

if getpass.getuser() == "root":
    c.ServerApp.allow_root = True  # noqa: F821
c.FileContentsManager.delete_to_trash = False  # noqa: F821
c.ServerApp.log_level = "INFO"  # noqa: F821
# The browser tests' own interview scenario (three one-minute rounds), next to the shipped ones.
c.KodeLabApp.interview_directories = [str(Path(__file__).resolve().parent / "interviews")]  # noqa: F821
