"""The front-end assets of KodeLab's anywidgets, assembled from ``static/``.

The challenge bar (:mod:`kodelab_jupyter.widgets`) and the interview round bar
(:mod:`kodelab_jupyter.interview_widgets`) share their plumbing: the page's base URL and XSRF
cookie, the REST client, saving the notebook, reload-surviving flags, the DOM helper, and
the box, timer, button and banner styles. That shared code lives once, in
``static/bar_common.js`` and ``static/bar_common.css``. An anywidget loads a single ES module
(and a single stylesheet) per widget, so each widget's ``_esm`` / ``_css`` is the common file
followed by the bar's own file, joined here, in Python, when the widget module is imported.

``bar_common.js`` is plain declarations (no imports, no exports): the bar's file, which comes
after it, has the module's ``export default``. ``bar_common.css`` writes the bar's block class
as ``.BAR``; it is replaced with the bar's own block (``.kodelab-bar`` or ``.kodelab-rb``), so
each stylesheet styles only its own bar's classes.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC", "bar_css", "bar_module"]

STATIC = Path(__file__).resolve().parent / "static"
COMMON_JS = STATIC / "bar_common.js"
COMMON_CSS = STATIC / "bar_common.css"
# The stand-in for the bar's block class in bar_common.css.
BLOCK_PLACEHOLDER = ".BAR"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def bar_module(name: str) -> str:
    """The ES module of the bar ``name`` (``"challenge_bar"``, ``"round_bar"``).

    ``static/bar_common.js`` followed by ``static/<name>.js``: one module, as anywidget loads it.
    """
    return f"{_read(COMMON_JS).rstrip()}\n\n{_read(STATIC / f'{name}.js')}"


def bar_css(name: str, block: str) -> str:
    """The stylesheet of the bar ``name``, whose root element has the CSS class ``block``.

    ``static/bar_common.css`` with ``.BAR`` replaced by ``.<block>`` (e.g. ``kodelab-rb``),
    followed by ``static/<name>.css``.
    """
    if not block or block.startswith(".") or any(c.isspace() for c in block):
        raise ValueError(f"{block!r} is not a CSS class name")
    common = _read(COMMON_CSS).replace(BLOCK_PLACEHOLDER, f".{block}")
    return f"{common.rstrip()}\n\n{_read(STATIC / f'{name}.css')}"
