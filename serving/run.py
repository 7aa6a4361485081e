"""The server `evidence serve` runs: Datasette's app under uvicorn. Datasette's own ``datasette
serve`` trusts ``X-Forwarded-For`` from 127.0.0.1 (one local client could pose as many and take
every download slot) and never closes a connection that sends its request head slowly. Here
forwarded headers are trusted only from ``--forwarded-allow-ips``, and a connection without a whole
request head ``LIMITS.header_timeout_s`` after it opened or after its last response is closed
(uvicorn's documented ``http`` protocol class).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from .settings import LIMITS


def make_datasette(db_path: Path, **overrides: Any) -> Any:
    """Datasette serving ``db_path`` as `evidence serve` does, with the site's plugin."""
    from datasette.app import Datasette

    from .plugin import register
    from .settings import datasette_options

    register()
    return Datasette(**{**datasette_options(db_path), **overrides})


def head_timeout_protocol() -> type:
    """uvicorn's h11 protocol with a deadline for each request head."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadTimeoutH11Protocol(H11Protocol):
        # One deadline per connection, re-armed after each response; it must not hold the request
        # it follows (a closure over it kept every scope alive: 232 MB under bench/hostile.py).
        answered = 0
        deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.arm_head_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self.answered += 1
            self.arm_head_deadline()

        def arm_head_deadline(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
            self.deadline = asyncio.get_running_loop().call_later(
                LIMITS.header_timeout_s, self.head_deadline_passed, self.answered
            )

        def head_deadline_passed(self, answered: int) -> None:
            waiting = self.cycle is None or self.cycle.response_complete  # no request under way
            if answered == self.answered and waiting and not self.transport.is_closing():
                self.transport.close()

    return HeadTimeoutH11Protocol


def run(db_path: Path, host: str, port: int, forwarded_allow_ips: str | None = None) -> None:
    # Datasette's error handler prints every error (404s too) with all local variables through
    # rich when it can import it: 0.25-0.4 s of CPU each. Marked unavailable, as the import
    # system documents; unexpected errors still get a plain traceback.
    sys.modules.setdefault("rich", None)  # type: ignore[arg-type]
    import uvicorn

    uvicorn.run(
        make_datasette(db_path).app(),  # which runs the plugins' startup hooks at lifespan startup
        host=host,
        port=port,
        lifespan="on",
        http=head_timeout_protocol(),
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips or "",
        log_level="info",
    )
