"""Load test: N concurrent clients over the main pages and canned queries of `evidence serve`.

Bounded on purpose: loopback only, a fixed number of requests, and a time cap. Each client is a
thread with one keep-alive HTTP connection; together they take the next request from one shared
sequence (a seeded shuffle of the pages below) until all are sent or time is up. Prints
throughput, latency p50/p95/p99/max overall and per page, and the errors (a transport error or any
status but 200). Exit status 1 if there was an error or the time cap cut the run short.

Pages: home, database, the study/measurement/meta_extract tables (HTML, JSON, a facet filter),
a study's row page, the meta_extract CSV, and every canned query in metadata.yml (HTML and JSON),
with parameter values drawn from the database as bench/queries.py does.

``--stock`` first runs the same load against the serve of before the serving speed-ups, in the
same run: plain ``datasette serve -i`` with the same metadata, templates, settings and plugins,
less the response cache and the schema cache (serving/plugins/response_cache.py,
schema_cache.py), and no inspect file; then against `evidence serve`, and prints both.

Example:

    python bench/load.py                          # starts `evidence serve` on evidence.db itself
    python bench/load.py --clients 16 --requests 4000 --time-limit 120
    python bench/load.py --stock --clients 16     # the stock serve, then evidence serve
    python bench/load.py --url http://127.0.0.1:8001 --db evidence.db
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import random
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.queries import candidate_values, canned_queries  # noqa: E402
from emg_evidence.paths import DB_PATH, METADATA, PLUGINS_DIR, TEMPLATES_DIR  # noqa: E402
from emg_evidence.serving.server import evidence_serve  # noqa: E402
from emg_evidence.serving.settings import SERVE_SETTINGS  # noqa: E402

#: The plugins the stock serve goes without: the serving speed-ups.
SPEED_PLUGINS = ("response_cache.py", "schema_cache.py")

SEED = 11


def pages(db_path: Path) -> list[tuple[str, str]]:
    """(label, path) of every page the clients ask for; values come from the database."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        study = connection.execute("SELECT id FROM study ORDER BY id LIMIT 1").fetchone()[0]
        muscle = connection.execute(
            "SELECT muscle_id FROM measurement GROUP BY muscle_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        out = [
            ("home", "/"),
            ("database", "/evidence"),
            ("study table", "/evidence/study"),
            ("study json", "/evidence/study.json?_shape=array"),
            ("study row", f"/evidence/study/{study}"),
            ("measurement table", "/evidence/measurement"),
            ("measurement facet", f"/evidence/measurement?muscle_id={muscle}"),
            ("meta_extract table", "/evidence/meta_extract"),
            ("meta_extract csv", "/evidence/meta_extract.csv?_size=max"),
            ("meta_extract mvc json", "/evidence/meta_extract.json?comparable_mvc=1&_size=max"),
        ]
        random.seed(SEED)
        for name, query in canned_queries(METADATA, "evidence").items():
            params = {}
            for param in query.get("params", []):
                values = candidate_values(connection, param)
                params[param] = random.choice(values) if values else ""
            qs = ("?" + urlencode(params)) if params else ""
            out.append((f"canned {name}", f"/evidence/{name}{qs}"))
            shape = ("&" if qs else "?") + "_shape=array"
            out.append((f"canned {name} json", f"/evidence/{name}.json{qs}{shape}"))
    finally:
        connection.close()
    return out


def require_loopback(url: str) -> tuple[str, int]:
    """Host and port of ``url``, refusing anything that is not this machine."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit(f"--url must be http://<loopback host>:<port>, not {url!r}")
    for info in socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP):
        if not ipaddress.ip_address(info[4][0]).is_loopback:
            raise SystemExit(f"refusing to load {parts.hostname}: loopback addresses only")
    return parts.hostname, parts.port or 80


@contextmanager
def started_server(db_path: Path, stock: bool = False) -> Iterator[str]:
    """`evidence serve` (or the stock serve) on a free loopback port (shared with the tests)."""
    with ExitStack() as stack:
        command = None
        if stock:
            plugins = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stock-plugins-")))
            for plugin in PLUGINS_DIR.glob("*.py"):
                if plugin.name not in SPEED_PLUGINS:
                    shutil.copy(plugin, plugins / plugin.name)
            command = stock_command(db_path, plugins)
        try:
            url = stack.enter_context(evidence_serve(db_path, command=command))
        except RuntimeError as e:  # only the start: errors of the load itself pass through
            raise SystemExit(str(e)) from None
        yield url


def stock_command(db_path: Path, plugins: Path):
    """`datasette serve -i` as it ran before the serving speed-ups, for a port."""

    def command(port: int) -> list[str]:
        args = [sys.executable, "-m", "datasette", "serve", "-i", str(db_path),
                "--metadata", str(METADATA), "--plugins-dir", str(plugins),
                "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
        if TEMPLATES_DIR.exists():
            args += ["--template-dir", str(TEMPLATES_DIR)]
        for name, value in SERVE_SETTINGS.items():
            args += ["--setting", name, value]
        return args

    return command


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_load(
    url: str, targets: list[tuple[str, str]], clients: int, requests: int, time_limit: float
) -> tuple[Results, float, int]:
    """Send ``requests`` requests from ``clients`` threads; stop early at ``time_limit`` seconds."""
    host, port = require_loopback(url)
    rng = random.Random(SEED)
    sequence = [targets[i % len(targets)] for i in range(requests)]
    rng.shuffle(sequence)
    results = Results()
    next_index = iter(range(requests))
    take = threading.Lock()
    start = time.monotonic()
    deadline = start + time_limit

    def client() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=max(1.0, time_limit))
        while time.monotonic() < deadline:
            with take:
                index = next(next_index, None)
            if index is None:
                break
            label, path = sequence[index]
            t0 = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
                problem = None if status == 200 else f"{status} {path}"
            except (OSError, http.client.HTTPException) as e:
                problem = f"{type(e).__name__} {path}: {e}"
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=max(1.0, time_limit))
            elapsed = time.perf_counter() - t0
            with results.lock:
                results.latencies[label].append(elapsed)
                if problem:
                    results.errors.append(problem)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    sent = sum(len(v) for v in results.latencies.values())
    return results, elapsed, sent


def percentiles(values: list[float]) -> tuple[float, float, float, float]:
    """p50, p95, p99 and max, in milliseconds."""
    ms = sorted(v * 1000 for v in values)
    if len(ms) == 1:
        return ms[0], ms[0], ms[0], ms[0]
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return q[49], q[94], q[98], ms[-1]


def report(results: Results, elapsed: float, sent: int, requests: int, clients: int) -> None:
    everything = [v for values in results.latencies.values() for v in values]
    p50, p95, p99, top = percentiles(everything) if everything else (0, 0, 0, 0)
    print(f"clients {clients}, requests {sent} of {requests} in {elapsed:.1f} s")
    print(f"throughput {sent / elapsed:.1f} requests/s")
    print(f"latency ms p50 {p50:.1f} p95 {p95:.1f} p99 {p99:.1f} max {top:.1f}")
    print(f"errors {len(results.errors)}")
    slowest = max(results.latencies, key=lambda k: percentiles(results.latencies[k])[1], default=None)
    if slowest is not None:
        print(f"slowest page p95 {percentiles(results.latencies[slowest])[1]:.1f} ms ({slowest})")
    print(f"{'page':<40} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}")
    for label in sorted(results.latencies):
        values = results.latencies[label]
        p50, p95, _, top = percentiles(values)
        print(f"{label:<40} {len(values):>5} {p50:>8.1f} {p95:>8.1f} {top:>8.1f}")
    for problem in results.errors[:10]:
        print(f"error: {problem}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running `evidence serve` on loopback; default: start one")
    parser.add_argument(
        "--db", type=Path, default=DB_PATH, help="database served (and sampled for parameters)"
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=2000, help="requests in all")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds before the run is cut short")
    parser.add_argument(
        "--stock", action="store_true", help="first the same load on the stock serve (see above)"
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.time_limit <= 0:
        raise SystemExit("--clients, --requests and --time-limit must be positive")

    targets = pages(args.db)
    print(
        f"{len(targets)} pages; {args.clients} clients; {args.requests} requests; cap {args.time_limit:.0f} s"
    )

    def go(url: str) -> tuple[Results, float, int]:
        # one untimed pass warms Datasette's caches (table counts, templates) first
        run_load(url, targets, 1, len(targets), args.time_limit)
        return run_load(url, targets, args.clients, args.requests, args.time_limit)

    if args.stock and not args.url:
        with started_server(args.db, stock=True) as url:
            print(f"started the stock datasette serve at {url}")
            stock = go(url)
        print("--- stock datasette serve -i")
        report(*stock, args.requests, args.clients)
        print("--- evidence serve")
    if args.url:
        results, elapsed, sent = go(args.url)
    else:
        with started_server(args.db) as url:
            print(f"started evidence serve at {url}")
            results, elapsed, sent = go(url)
    report(results, elapsed, sent, args.requests, args.clients)
    if results.errors or sent < args.requests:
        if sent < args.requests:
            print(f"cut short by the {args.time_limit:.0f} s time limit")
        sys.exit(1)


if __name__ == "__main__":
    main()
