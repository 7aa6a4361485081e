"""A real `evidence serve`: the command a user runs, on loopback, answering HTTP."""

import socket
import subprocess
import sys
import time

import httpx
import pytest

from ingest.build import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "serve", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/-/versions.json", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(process.stdout.read().decode())
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_serves_pages_and_csv(server):
    assert httpx.get(server + "/evidence/study/contreras2015").status_code == 200
    csv_text = httpx.get(server + "/evidence/meta_extract.csv").text
    assert csv_text.splitlines()[0].startswith("measurement_id,study_id,citation")


def test_serve_is_immutable_with_limits(server):
    settings = httpx.get(server + "/-/settings.json").json()
    assert settings["sql_time_limit_ms"] == 1000
    databases = httpx.get(server + "/-/databases.json").json()
    assert [d["is_mutable"] for d in databases] == [False]


def test_serve_refuses_missing_database(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ingest.cli", "serve", "--db", str(tmp_path / "none.db")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1
    assert "run `evidence build` first" in result.stderr
