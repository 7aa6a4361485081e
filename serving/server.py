"""Start a real `evidence serve` on a free loopback port, for tests and the load benchmark."""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..paths import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/-/versions.json")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def evidence_serve(
    db_path: Path, timeout: float = 60, command: Callable[[int], list[str]] | None = None, **popen: Any
) -> Iterator[str]:
    """Run `evidence serve --db db_path` on a free loopback port; yield its base URL."""
    with evidence_serve_process(db_path, timeout, command, **popen) as (base, _):
        yield base


@contextlib.contextmanager
def evidence_serve_process(
    db_path: Path, timeout: float = 60, command: Callable[[int], list[str]] | None = None, **popen: Any
) -> Iterator[tuple[str, subprocess.Popen]]:
    """As ``evidence_serve``, yielding the base URL and the server's process. ``command``: another
    server's command line for a port (bench/load.py's stock Datasette); ``popen``: more arguments
    of subprocess.Popen. RuntimeError with the server's output if it does not answer in time."""
    port = free_port()
    # The log goes to a file, not a pipe: Datasette prints a long traceback for every refused
    # query, and a pipe nobody reads fills up and blocks the server.
    log = tempfile.TemporaryFile()
    serve = [sys.executable, "-m", "emg_evidence.cli", "serve", "--db", str(db_path), "--port", str(port)]
    process = subprocess.Popen(
        command(port) if command else serve, **{"cwd": ROOT, **popen}, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + timeout
    try:
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                raise RuntimeError("evidence serve did not start:\n" + log.read().decode(errors="replace"))
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
