"""Running the app under uvicorn for `onekyc-sim serve`: "serving on" once it serves, a failed start in two lines.

The app's lifespan opens the services (database, scheduler, …) and keeps a failure in
`app.state.startup_error`. This server reports that failure itself (as a `StartupError` when the user
can fix it, with its traceback when it is a bug) instead of uvicorn's traceback dump, and announces the
simulator only after the lifespan started and the sockets listen.
"""

from __future__ import annotations

import logging
import socket
import sys
import traceback
from collections.abc import Callable, Collection

import uvicorn

from simulator.malformed_http import vendor_protocol
from simulator.settings import Settings
from simulator.startup import explain

# uvicorn's lifespan messages ("Waiting for application startup.", a failure's traceback) go here; only
# warnings and errors pass.
_LIFESPAN_LOG = logging.getLogger("simulator.lifespan")
_LIFESPAN_LOG.setLevel(logging.WARNING)


class _UnlessExplained(logging.Filter):
    """Drops uvicorn's report of a start-up failure that the server tells itself."""

    def __init__(self, server: Server) -> None:
        super().__init__()
        self.server = server

    def filter(self, record: logging.LogRecord) -> bool:
        return self.server.startup_error is None


class Server(uvicorn.Server):
    """uvicorn's server that calls `announce()` once it listens and keeps why a start-up failed."""

    def __init__(self, config: uvicorn.Config, *, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    @property
    def startup_error(self) -> BaseException | None:
        """What the app's lifespan raised while opening its services, if it did."""
        error: BaseException | None = getattr(getattr(self.config.app, "state", None), "startup_error", None)
        return error

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.lifespan.logger = _LIFESPAN_LOG  # uvicorn's LifespanOn reports through this attribute
        unless_explained = _UnlessExplained(self)
        _LIFESPAN_LOG.addFilter(unless_explained)
        try:
            await super().startup(sockets)
        except SystemExit:  # uvicorn exits when the lifespan's start-up failed
            self.should_exit = True
        finally:
            _LIFESPAN_LOG.removeFilter(unless_explained)
        if self.started and not self.should_exit:
            self._announce()


def run(config: uvicorn.Config, sockets: list[socket.socket], settings: Settings, flags: Collection[str]) -> int:
    """Serve `config`'s app on `sockets` until stopped: 0 after a normal stop, 2 when it could not start."""

    def announce() -> None:
        from simulator import __version__

        where = f"{settings.base_url} (database {settings.shown_database})"
        print(f"onekyc-sim {__version__} serving on {where}", file=sys.stderr)

    config.http = vendor_protocol()  # unparseable requests get the vendor's 400, not plain text
    server = Server(config, announce=announce)
    # Server.run installs the configured event loop (uvloop when available); a bare serve() would not.
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:  # Ctrl-C before uvicorn took over the signal: nothing to report
        return 130
    if server.started:
        return 0
    failure = server.startup_error
    if failure is not None:
        explained = explain(failure, settings, flags)
        if explained is None:
            traceback.print_exception(failure)
        print(explained or "onekyc-sim: the simulator could not start (the error is above).", file=sys.stderr)
    return 2
