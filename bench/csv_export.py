"""Benchmark: the whole meta_extract CSV as the site serves it, against ``sqlite3 -csv``.

Starts `evidence serve` on a free loopback port and downloads Datasette's own streaming CSV,
``/evidence/meta_extract.csv?_stream=on`` (where the old ``/-/csv/`` address leads), then prints
its time and rows/s beside ``sqlite3 -csv -header <db> "select * from meta_extract"``, the server's
peak resident memory (VmHWM) after a download of ``--small`` rows and after the whole view (flat
is a ratio near 1), and the p50/max of a study page asked for while the download runs (the
stream renders in the server's event loop).

Example:

    python bench/generate.py --studies 1000 --measurements 20000 --out /tmp/g
    evidence build --data /tmp/g --db /tmp/g/evidence.db
    python bench/csv_export.py --db /tmp/g/evidence.db
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emg_evidence.serving.server import evidence_serve_process  # noqa: E402

QUERY = "select * from meta_extract"
STREAM = "/evidence/meta_extract.csv?_stream=on"
PAGE = "/evidence/study.json?_shape=array&_size=5"


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, int, int]:
    """GET ``path``; return status, bytes and lines of the body, read in 64 kB pieces."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    size = lines = 0
    while chunk := response.read(65536):
        size += len(chunk)
        lines += chunk.count(b"\n")
    connection.close()
    return response.status, size, lines


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def sqlite_cli(db: Path) -> tuple[float, int]:
    started = time.perf_counter()
    out = subprocess.run(["sqlite3", "-csv", "-header", f"file:{db}?mode=ro", QUERY],
                         capture_output=True, check=True).stdout  # fmt: skip
    return time.perf_counter() - started, out.count(b"\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--small", type=int, default=1000, help="rows of the small download")
    args = parser.parse_args(argv)
    if shutil.which("sqlite3") is None:
        sys.exit("sqlite3 (Debian package sqlite3) is needed for the baseline")
    db = args.db.resolve()
    if db.stem != "evidence":  # served under its file's stem; the URLs say evidence
        link = Path(tempfile.mkdtemp(prefix="bench-csv-")) / "evidence.db"
        link.symlink_to(db)
        db = link
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        (rows,) = c.execute("select count(*) from meta_extract").fetchone()
    t_cli, lines_cli = sqlite_cli(db)
    print(f"meta_extract rows: {rows:,}")
    print(f"sqlite3 -csv:              {t_cli:6.2f} s {rows / t_cli:>10,.0f} rows/s, {lines_cli:,} lines")
    with evidence_serve_process(db) as (base, process):
        port = int(base.rsplit(":", 1)[1])
        idle = peak_rss_mb(process.pid)
        # A filter on the view's first rows: the same stream, stopped early.
        status, _, lines = get(
            port, f"/evidence/meta_extract.csv?_stream=on&measurement_id__lte={args.small}"
        )
        small = peak_rss_mb(process.pid)
        print(f"stream of {lines - 1:,} rows: server peak RSS {small:,.1f} MB (idle {idle:,.1f} MB)")
        probes: list[float] = []
        done = threading.Event()

        def probe() -> None:
            while not done.is_set():
                started = time.perf_counter()
                get(port, PAGE, {"cache-control": "no-cache"})
                probes.append(time.perf_counter() - started)
                time.sleep(0.05)

        prober = threading.Thread(target=probe)
        started = time.perf_counter()
        prober.start()
        status, size, lines = get(port, STREAM)
        elapsed = time.perf_counter() - started
        done.set()
        prober.join()
        full = peak_rss_mb(process.pid)
    if status != 200 or lines - 1 != rows:
        sys.exit(f"the stream gave status {status} and {lines - 1:,} rows of {rows:,}")
    print(f"datasette ?_stream=on:     {elapsed:6.2f} s {rows / elapsed:>10,.0f} rows/s, {size / 1e6:,.1f} MB,"
          f" {lines:,} lines; ratio to sqlite3 {t_cli / elapsed:.3f}")  # fmt: skip
    print(
        f"server peak RSS all rows {full:,.1f} MB; all rows / {args.small:,} rows: {full / small:.2f} (flat is ~1)"
    )
    ms = sorted(p * 1000 for p in probes)
    print(
        f"a table page during the download: n {len(ms)} p50 {statistics.median(ms):.1f} ms max {ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
