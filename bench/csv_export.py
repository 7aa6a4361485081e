"""Benchmark: the meta-analysis CSV download, against ``sqlite3 -csv`` in the same run.

Starts the real server (`evidence serve`'s command line) on a free loopback port, downloads
``/-/csv/evidence/meta_extract.csv`` (serving/plugins/fast_csv.py) over HTTP, and prints rows/s as a
ratio to ``sqlite3 -csv -header <db> "select * from meta_extract"``, in ``--repeat`` pairs of runs
back to back (the median pair is the figure: the load of a shared machine changes by the
second). The server's peak resident memory (VmHWM in /proc/<pid>/status) is read after a
download of ``--small`` rows and, from a freshly started server, after the whole table, to show
it does not grow with the rows.
``--datasette-stream`` also times Datasette's own ``meta_extract.csv?_stream=on``.

Example:

    python bench/csv_export.py --db /tmp/large.db
    python bench/csv_export.py --db evidence.db --small 10
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emg_evidence.serving.settings import serve_args  # noqa: E402

QUERY = "select * from meta_extract"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`evidence serve` on a copy of its command line, on loopback, stopped on exit."""

    def __init__(self, db: Path) -> None:
        # The database is served under its file's stem; metadata.yml speaks of `evidence`.
        self.db = db
        self.port = free_port()

    def __enter__(self) -> Server:
        args = serve_args(self.db, "127.0.0.1", self.port)
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _, _ = get(self.port, "/-/versions.json")
                if status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError("the server did not start: " + self.process.stderr.read().decode()[-2000:])

    def cpu_s(self) -> float:
        """The server's CPU time so far (user + system): wall time alone is noise on a busy box."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def get(port: int, path: str) -> tuple[int, int, int]:
    """GET ``path``; return status, bytes and lines of the body, read in 64 kB pieces."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path)
    response = connection.getresponse()
    size = lines = 0
    while chunk := response.read(65536):
        size += len(chunk)
        lines += chunk.count(b"\n")
    connection.close()
    return response.status, size, lines


def sqlite_cli(db: Path) -> tuple[float, float, int, int]:
    """Wall and CPU seconds of ``sqlite3 -csv``, and the bytes and lines it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(["sqlite3", "-csv", "-header", f"file:{db}?mode=ro", QUERY],
                               stdout=subprocess.PIPE)  # fmt: skip
    size = lines = 0
    assert process.stdout is not None
    while chunk := process.stdout.read(65536):
        size += len(chunk)
        lines += chunk.count(b"\n")
    if process.wait() != 0:
        raise RuntimeError("sqlite3 failed")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, size, lines


def timed_get(port: int, path: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    status, size, lines = get(port, path)
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}")
    return time.perf_counter() - started, size, lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--small", type=int, default=100_000, help="rows of the small download")
    parser.add_argument("--repeat", type=int, default=3, help="pairs of sqlite3 and fast_csv runs")
    parser.add_argument("--datasette-stream", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("sqlite3") is None:
        sys.exit("sqlite3 (Debian package sqlite3) is needed for the baseline")
    db = args.db.resolve()
    if db.stem != "evidence":
        # Serve it under the name metadata.yml and the plugin's URL use.
        link = Path(tempfile.mkdtemp(prefix="bench-csv-")) / "evidence.db"
        link.symlink_to(db)
        db = link
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        (rows,) = c.execute("select count(*) from meta_extract").fetchone()
    print(f"meta_extract rows: {rows:,}")

    path = "/-/csv/evidence/meta_extract.csv"
    with Server(db) as server:
        idle = server.peak_rss_kb()
        t, size, lines = timed_get(server.port, f"{path}?_limit={args.small}")
        small_peak = server.peak_rss_kb()
    print(f"fast_csv, {lines - 1:,} rows:  {t:7.2f} s; server peak RSS {small_peak / 1024:,.1f} MB"
          f" (idle {idle / 1024:,.1f} MB)")  # fmt: skip
    # Pairs of runs, sqlite3 then fast_csv, back to back: on a shared machine the load changes
    # from one second to the next, so each ratio compares two runs made under the same load and
    # the median of the pairs is the figure.
    walls, cpus = [], []
    with Server(db) as server:
        for run in range(1, args.repeat + 1):
            t_cli, cpu_cli, size_cli, lines_cli = sqlite_cli(db)
            print(f"sqlite3 -csv:            {t_cli:7.2f} s  {rows / t_cli:>10,.0f} rows/s  "
                  f"{size_cli / 1e6:,.1f} MB, {lines_cli:,} lines; CPU {cpu_cli:.2f} s")  # fmt: skip
            cpu_before = server.cpu_s()
            t_fast, size_fast, lines_fast = timed_get(server.port, path)
            cpu_fast = server.cpu_s() - cpu_before
            full_peak = server.peak_rss_kb()
            print(f"fast_csv, all rows:      {t_fast:7.2f} s  {rows / t_fast:>10,.0f} rows/s  "
                  f"{size_fast / 1e6:,.1f} MB, {lines_fast:,} lines; server peak RSS "
                  f"{full_peak / 1024:,.1f} MB; server CPU {cpu_fast:.2f} s")  # fmt: skip
            walls.append(t_cli / t_fast)
            cpus.append(cpu_cli / max(cpu_fast, 1e-9))
            print(f"  pair {run}: ratio {walls[-1]:.2f} by wall time, {cpus[-1]:.2f} by CPU time")
    print(f"ratio fast_csv / sqlite3 -csv, rows/s by wall time: {statistics.median(walls):.2f} "
          f"(median of {len(walls)} pairs; target >= 0.4)")  # fmt: skip
    print(f"ratio by CPU time (server vs sqlite3):          {statistics.median(cpus):.2f}")
    print(f"peak RSS all rows / {args.small:,} rows: {full_peak / small_peak:.2f} (flat is ~1)")

    if args.datasette_stream:
        with Server(db) as server:
            t_ds, size_ds, lines_ds = timed_get(
                server.port, "/evidence/meta_extract.csv?_stream=on&_size=max"
            )
            ds_peak = server.peak_rss_kb()
        print(f"datasette ?_stream=on:   {t_ds:7.2f} s  {rows / t_ds:>10,.0f} rows/s; ratio "
              f"{t_cli / t_ds:.3f}; server peak RSS {ds_peak / 1024:,.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
