"""Benchmark: how fast a normal page answers while hostile clients attack `evidence serve`.

Bounded on purpose: loopback only, a time cap per pattern, a timeout on every request. Starts
`evidence serve` itself (serving/server.py, as bench/load.py does) over a copy of the database
made larger for downloads (a ``bulk`` table of ``--copies`` copies of the measurement rows and a
``padding`` table of 2,000 rows of 20 kB, which no page reads), then, one pattern at a time:

- ``quiet``: no hostile client (the reference of the same run);
- ``csv``: ``--hostile`` clients downloading CSV (``?_stream=on``) as fast as they read (a
  refused one retries after 0.2 s);
- ``runaway-sql``: 12 clients sending recursive SQL that never ends (half ``?sql=``, half
  ``?_where=``);
- ``params``: ``--hostile`` clients sending 4,000 query parameters (31 kB);
- ``zeroblob``: ``--hostile`` clients asking for ``zeroblob(200000000)`` and 100 columns of
  98 kB in 200 rows (arbitrary SQL: one at a time, so these mostly wait their turn);
- ``stalled``: ``--hostile`` clients that open a download (``_stream=on``) and never read,
  opening another when cut off;

and the cases of issue 26:

- ``forest``: ``--hostile`` clients asking for the forest plot with ``impute_sd`` spelt anew
  each time (0.3, 0.30, 0.300...: one meaning);
- ``host``: ``--hostile`` clients asking for new URLs with a 15 kB Host header each (the
  response cache's keys);
- ``printf``: ``--hostile`` clients sending ``printf('%.*c', 2147483647, 'x')`` four times in one
  ``?sql=``;
- ``bad-sort``: ``--hostile`` clients sorting a table by a column it lacks (a 500 with a long
  traceback before);
- ``not-found``: ``--hostile`` clients asking for pages that do not exist (each error was
  logged with a traceback of every local variable);
- ``slow-head``: ``--hostile`` x 25 sockets sending a request head a byte a second;
- ``forwarded``: ``--hostile`` clients from one address each claiming another in
  X-Forwarded-For while holding downloads they never read.

While each runs, one probe client (its own source address, 127.0.0.2) asks for a study page
``--probes`` times in a row, with credentials so the response cache never answers it: p50 and
max; then it downloads the study table once from /-/csv/ and once with ``_stream=on`` (a
refusal is an error: one client must not lock another out). Then ``--normal`` clients (from 127.0.0.3) each ask for the study page, a canned query and
a table page ``--rounds`` times, as visitors do (cache allowed): errors (any status but 200 or a
transport error) and p95. The server's peak memory growth during the pattern (all its hostile
clients together) is VmHWM after it (reset at its start) less VmRSS before it; what it kept, VmRSS
after it less VmRSS before it. Hostile clients
come from 127.0.0.1, or each from its own address (127.0.0.10 on) with ``--hostile-addresses``.

Exit status 1 if a normal client saw an error.

Example:

    python bench/hostile.py
    python bench/hostile.py --patterns csv,stalled --seconds 8
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emg_evidence.paths import DB_PATH  # noqa: E402
from emg_evidence.serving.server import evidence_serve_process  # noqa: E402

STUDY_PAGE = "/evidence/study/contreras2015"
NORMAL_PAGES = [
    STUDY_PAGE,
    "/evidence/study_numbers?study_id=contreras2015",
    "/evidence/measurement?muscle_id=gluteus_maximus_upper",
]
#: Downloads the probe asks for once per pattern: another client's downloads must not lock it out.
PROBE_DOWNLOADS = ["/evidence/study.csv?_stream=on"]
RENDER = {"Authorization": "Bearer render-every-time"}
ENDLESS = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
BIG = "with v(x) as (select replace(hex(zeroblob(49000)), '0', char(1)))"
ROWS = "r(i) as (select 1 union all select i + 1 from r limit 200)"
MANY_CELLS = f"{BIG}, {ROWS} select {', '.join(['x'] * 100)} from r, v"


def big_copy(source: Path, target: Path, copies: int) -> None:
    """``source`` with two tables for downloads that no page reads: ``bulk``, ``copies`` copies
    of the measurement rows, and ``padding``, 2,000 rows of 20 kB (40 MB)."""
    shutil.copyfile(source, target)
    with sqlite3.connect(target) as connection:
        connection.execute("create table bulk as select * from measurement where 0")
        for _ in range(copies):
            connection.execute("insert into bulk select * from measurement")
        connection.execute("create table padding (id integer primary key, text text)")
        connection.execute(
            "with recursive r(i) as (select 1 union all select i + 1 from r limit 2000)"
            " insert into padding select i, printf('%.*c', 20000, 'x') from r"
        )
    connection.close()


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field}")


class Client:
    """One keep-alive HTTP/1.1 connection from a given loopback source address."""

    def __init__(self, port: int, source: str, timeout: float = 30) -> None:
        self.port, self.source, self.timeout = port, source, timeout
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str, headers: dict[str, str] | None = None) -> int:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=self.timeout, source_address=(self.source, 0)
            )
        try:
            self.connection.request("GET", path, headers=headers or {})
            response = self.connection.getresponse()
            while response.read(65536):
                pass
            return response.status
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def stalled_download(
    port: int, source: str, path: str, stop: threading.Event, forwarded_for: str = ""
) -> None:
    """Open ``path`` and never read; once the server cuts it off, open it again."""
    extra = f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else ""
    while not stop.is_set():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind((source, 0))
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
            # Wait, reading nothing, until the server closes the connection (a peek sees the
            # end without taking the data) or the pattern ends.
            while not stop.is_set():
                try:
                    if s.recv(1, socket.MSG_PEEK) == b"":
                        break
                    # Data waits unread: nothing to do but wait for the cut.
                    time.sleep(0.5)
                except TimeoutError:
                    continue
        except OSError:
            time.sleep(0.2)
        finally:
            s.close()


def slow_head(port: int, source: str, stop: threading.Event) -> None:
    """Send a request head a byte a second; when the server closes the socket, open another."""
    while not stop.is_set():
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while not stop.is_set():
                s.sendall(b"X")
                try:
                    if s.recv(1, socket.MSG_PEEK) == b"":
                        break
                except TimeoutError:
                    continue
        except OSError:
            time.sleep(0.2)
        finally:
            s.close()


def hostile_loop(port: int, source: str, paths: list[str], stop: threading.Event, pause_on: set[int],
                 headers: dict[str, str] | None = None) -> None:  # fmt: skip
    client = Client(port, source, timeout=20)
    i = 0
    while not stop.is_set():
        try:
            path = paths[i % len(paths)].replace("{i}", str(i)).replace("{zeros}", "0" * (i % 200))
            status = client.get(path, headers)
            if status in pause_on:
                time.sleep(0.2)
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
        i += 1
    client.close()


PATTERNS = ("quiet", "csv", "runaway-sql", "params", "zeroblob", "stalled", "forest", "host", "printf",
            "bad-sort", "not-found", "slow-head", "forwarded")  # fmt: skip


def patterns(
    hostile: int, spread: bool
) -> dict[str, Callable[[int, threading.Event], list[threading.Thread]]]:
    def source(i: int) -> str:
        return f"127.0.0.{10 + i}" if spread else "127.0.0.1"

    def loops(paths_of: Callable[[int], list[str]], n: int, pause_on: set[int], headers=None):
        def start(port: int, stop: threading.Event) -> list[threading.Thread]:
            return [
                threading.Thread(
                    target=hostile_loop, args=(port, source(i), paths_of(i), stop, pause_on, headers)
                )
                for i in range(n)
            ]

        return start

    def stalled(port: int, stop: threading.Event) -> list[threading.Thread]:
        downloads = ["/evidence/padding.csv?_stream=on", "/evidence/bulk.csv?_stream=on"]
        return [
            threading.Thread(target=stalled_download, args=(port, source(i), downloads[i % 2], stop))
            for i in range(hostile)
        ]

    csv_paths = ["/evidence/bulk.csv?_stream=on", "/evidence/padding.csv?_stream=on"]

    def slow_heads(port: int, stop: threading.Event) -> list[threading.Thread]:
        return [threading.Thread(target=slow_head, args=(port, source(i), stop)) for i in range(hostile * 25)]

    def forwarded(port: int, stop: threading.Event) -> list[threading.Thread]:
        # From one address, each claiming another: a client that would take every slot.
        return [
            threading.Thread(
                target=stalled_download, args=(port, "127.0.0.1", downloads, stop, f"10.0.0.{i}")
            )
            for i, downloads in enumerate(["/evidence/padding.csv?_stream=on"] * hostile)
        ]

    printf = "select " + ", ".join(["printf('%.*c', 2147483647, 'x')"] * 4)
    four_thousand = "/evidence/study?" + "&".join(f"c{i:04d}=v" for i in range(4000))
    return {
        "quiet": lambda port, stop: [],
        "csv": loops(lambda i: ["/evidence/bulk.csv?_stream=on"] if i == 0 else csv_paths, hostile, {429}),
        "runaway-sql": loops(
            lambda i: [
                "/evidence.json?" + urlencode({"sql": ENDLESS})
                if i % 2
                else "/evidence/study.json?" + urlencode({"_where": f"({ENDLESS}) > 0"})
            ],
            12,
            set(),
        ),
        "params": loops(lambda i: [four_thousand], hostile, set()),
        "zeroblob": loops(
            lambda i: [
                "/evidence.json?sql=" + quote("select zeroblob(200000000)"),
                "/evidence.json?sql=" + quote(MANY_CELLS),
            ],
            hostile,
            set(),
        ),
        "stalled": stalled,
        "forest": loops(lambda i: ["/-/forest.svg?muscle=glutes&impute_sd=0.3{zeros}"], hostile, {429}),
        "host": loops(lambda i: ["/evidence/study?_u={i}" + f"-{i}"], hostile, set(), {"Host": "h" * 15_000}),
        "printf": loops(lambda i: ["/evidence.json?sql=" + quote(printf)], hostile, set()),
        "bad-sort": loops(lambda i: ["/evidence/study?_sort=nope{i}"], hostile, set()),
        "not-found": loops(lambda i: ["/evidence/nope{i}"], hostile, set()),
        "slow-head": slow_heads,
        "forwarded": forwarded,
    }


def summary(values: list[float]) -> str:
    if not values:
        return "n 0"
    ms = sorted(v * 1000 for v in values)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return f"n {len(ms):>3} p50 {statistics.median(ms):7.1f} p95 {p95:7.1f} max {ms[-1]:7.1f}"


def run_pattern(
    port: int, pid: int, name: str, start, args
) -> tuple[list[float], list[float], list[str], int, int]:
    stop = threading.Event()
    # The peak of this pattern alone: "5" resets VmHWM to the present resident size.
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    rss_before = memory_kb(pid, "VmRSS")
    threads = start(port, stop)
    for thread in threads:
        thread.start()
    probe_times: list[float] = []
    normal_times: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + args.seconds
    try:
        time.sleep(min(1.5, args.seconds / 4))  # the attack gets going
        probe = Client(port, "127.0.0.2")
        for _ in range(args.probes):
            if time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            try:
                status = probe.get(STUDY_PAGE, RENDER)
                if status != 200:
                    errors.append(f"probe {status}")
            except (OSError, http.client.HTTPException) as e:
                errors.append(f"probe {type(e).__name__}")
            probe_times.append(time.perf_counter() - t0)
        for path in PROBE_DOWNLOADS:
            try:
                status = probe.get(path)
                if status != 200:
                    errors.append(f"probe {status} {path}")
            except (OSError, http.client.HTTPException) as e:
                errors.append(f"probe {type(e).__name__} {path}")
        probe.close()
        lock = threading.Lock()

        def visitor() -> None:
            client = Client(port, "127.0.0.3")
            for _ in range(args.rounds):
                for path in NORMAL_PAGES:
                    t0 = time.perf_counter()
                    try:
                        status = client.get(path)
                        problem = None if status == 200 else f"{status} {path}"
                    except (OSError, http.client.HTTPException) as e:
                        problem = f"{type(e).__name__} {path}"
                    with lock:
                        normal_times.append(time.perf_counter() - t0)
                        if problem:
                            errors.append(problem)
            client.close()

        visitors = [threading.Thread(target=visitor) for _ in range(args.normal)]
        for thread in visitors:
            thread.start()
        for thread in visitors:
            thread.join(120)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    growth_mb = (memory_kb(pid, "VmHWM") - rss_before) // 1024
    kept_mb = (memory_kb(pid, "VmRSS") - rss_before) // 1024
    return probe_times, normal_times, errors, growth_mb, kept_mb


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=DB_PATH, help="database to copy and serve")
    parser.add_argument("--copies", type=int, default=300, help="copies of each measurement")
    parser.add_argument("--patterns", default=",".join(PATTERNS))
    parser.add_argument("--hostile", type=int, default=8, help="hostile clients per pattern")
    parser.add_argument("--probes", type=int, default=20, help="study pages the probe asks for")
    parser.add_argument("--normal", type=int, default=32, help="concurrent normal clients")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of pages per normal client")
    parser.add_argument("--seconds", type=float, default=30, help="cap of each pattern")
    parser.add_argument("--hostile-addresses", action="store_true",
                        help="each hostile client from its own address (127.0.0.1x)")  # fmt: skip
    args = parser.parse_args(argv)
    table = patterns(args.hostile, args.hostile_addresses)
    chosen = args.patterns.split(",")
    unknown = [p for p in chosen if p not in table]
    if unknown or min(args.hostile, args.probes, args.normal, args.rounds, args.copies) < 1:
        raise SystemExit(f"unknown patterns {unknown} or a count below 1")
    failed = False
    with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
        db = Path(folder) / "evidence.db"
        big_copy(args.db, db, args.copies)
        with evidence_serve_process(db) as (base, process):
            port = int(base.rsplit(":", 1)[1])
            warm = Client(port, "127.0.0.2")
            for path in NORMAL_PAGES:
                warm.get(path, RENDER)
                warm.get(path)
            warm.close()
            print(f"evidence serve at {base}; {args.hostile} hostile clients; probe {args.probes} study pages;"
                  f" {args.normal} normal clients x {args.rounds} rounds x {len(NORMAL_PAGES)} pages")  # fmt: skip
            for name in chosen:
                probe, normal, errors, growth, kept = run_pattern(port, process.pid, name, table[name], args)
                print(f"{name:<12} probe study page ms {summary(probe)} | normal ms {summary(normal)}"
                      f" | errors {len(errors)} | server peak {growth:+} MB, kept {kept:+} MB")  # fmt: skip
                for problem in sorted(set(errors))[:5]:
                    print(f"    error: {problem}")
                failed |= bool(errors)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
