"""Keeps the server's start lean: imported first by the command line, before anything imports httpx.

httpx's package imports its command-line client (`httpx._main`), which pulls in rich, pygments and click
whenever they are installed (any development environment has them): about 0.15 s of every start for a
client the simulator never runs. Marking the module absent makes httpx skip it (its own fallback for an
install without the `cli` extra); `httpx.main` is then a stub. Nothing else changes.
"""

from __future__ import annotations

import sys

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None marks a module absent (importlib docs)
