"""Start a real `evidence serve` on a free loopback port, for tests and the load benchmark."""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..paths import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/-/versions.json")
            connection.getresponse().read()
        finally:
            connection.close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def evidence_serve(db_path: Path, timeout: float = 60) -> Iterator[str]:
    """Run `evidence serve --db db_path` on a free loopback port; yield its base URL.

    Raises RuntimeError with the server's output if it does not answer within ``timeout``.
    """
    port = free_port()
    # The log goes to a file, not a pipe: Datasette prints a long traceback for every refused
    # query, and a pipe nobody reads fills up and blocks the server.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "emg_evidence.cli", "serve", "--db", str(db_path), "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    try:
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                raise RuntimeError("evidence serve did not start:\n" + log.read().decode(errors="replace"))
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
