"""Load test: concurrent clients over the site's pages, fresh and repeated, on `evidence serve`
and on stock `datasette serve -i` in the same run.

For each database (``--db``, repeatable: evidence.db and a base from bench/generate.py), each
server, each client count (``--clients 16,32``) and each mode:

- ``fresh``: every request a URL never asked before (a unique ``_u=`` parameter, which Datasette
  and the question pages ignore), so nothing is answered from a cache: the cost of rendering;
- ``repeated``: the same URLs over and over: what most visitors get.

Bounded on purpose: loopback only, a fixed number of requests per run and a time cap. Each
client is a thread with one keep-alive HTTP connection; together they take the next request from
one shared, seeded sequence. Prints one line per run: requests, errors (a transport error or any
status but 200), throughput, p50/p95/max, and the slowest page by p95; ``--pages`` adds a line
per page. Exit status 1 on any error or a run cut short.

Pages: home, database, the study/measurement/meta_extract tables (HTML, JSON, a facet filter),
a study's row page, the meta_extract CSV (a page of it), and on `evidence serve` also every
canned query (HTML and JSON, parameters drawn from the database as bench/queries.py does), the
question pages and the forest plot's page. Stock Datasette gets the pages it has.

Example:

    python bench/load.py                                   # evidence.db, 16 and 32 clients
    python bench/generate.py --studies 1000 --measurements 20000 --out /tmp/g
    evidence build --data /tmp/g --db /tmp/g.db
    python bench/load.py --db evidence.db --db /tmp/g.db --requests 600
    python bench/load.py --url http://127.0.0.1:8001 --db evidence.db --clients 16
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import itertools
import random
import socket
import sqlite3
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.queries import candidate_values, canned_queries  # noqa: E402
from emg_evidence.paths import DB_PATH  # noqa: E402
from emg_evidence.serving.server import evidence_serve  # noqa: E402
from emg_evidence.serving.settings import METADATA, SERVE_SETTINGS  # noqa: E402

SEED = 11
SERVERS = ("evidence", "stock")
MODES = ("fresh", "repeated")


def pages(db_path: Path, server: str) -> list[tuple[str, str]]:
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
        if server == "stock":
            return out
        out += [
            ("ranking", "/ranking?muscle=glutes"),
            ("compare", "/compare?a=hip+thrust&b=squat&muscle=glutes"),
            ("article", "/article"),
            ("technique", "/technique?factor=depth"),
            ("search", "/search?q=squat"),
            ("glossary", "/glossary"),
            ("forest page", "/-/forest?muscle=glutes"),
        ]
        rng = random.Random(SEED)
        for name, query in canned_queries(METADATA, "evidence").items():
            params = {}
            for param in query.get("params", []):
                values = candidate_values(connection, param)
                params[param] = rng.choice(values) if values else ""
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


def stock_command(db_path: Path):
    """Stock `datasette serve -i` with the served settings and nothing else, for a port."""

    def command(port: int) -> list[str]:
        args = [sys.executable, "-m", "datasette", "serve", "-i", str(db_path),
                "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
        for name, value in SERVE_SETTINGS.items():
            args += ["--setting", name, value]
        return args

    return command


@contextmanager
def started_server(db_path: Path, server: str) -> Iterator[str]:
    """`evidence serve` (or stock Datasette) on a free loopback port. Both name the database
    after its file: the pages ask for ``/evidence/...``, so the file is ``evidence.db``."""
    command = stock_command(db_path) if server == "stock" else None
    try:
        with evidence_serve(db_path, command=command) as url:
            yield url
    except RuntimeError as e:  # only the start: errors of the load itself pass through
        raise SystemExit(str(e)) from None


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    elapsed: float = 0.0
    sent: int = 0


#: Unique numbers for fresh URLs, across every run of one process.
_fresh = itertools.count()


def run_load(url: str, targets: list[tuple[str, str]], clients: int, requests: int,
             time_limit: float, fresh: bool) -> Results:  # fmt: skip
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
                unique = next(_fresh)
            if index is None:
                break
            label, path = sequence[index]
            if fresh:
                path += ("&" if "?" in path else "?") + f"_u={unique}"
            t0 = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                problem = None if response.status == 200 else f"{response.status} {path}"
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
    results.elapsed = time.monotonic() - start
    results.sent = sum(len(v) for v in results.latencies.values())
    return results


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95 and max, in milliseconds."""
    ms = sorted(v * 1000 for v in values)
    if len(ms) == 1:
        return ms[0], ms[0], ms[0]
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return q[49], q[94], ms[-1]


HEADER = (f"{'database':<16} {'server':<9} {'clients':>7} {'mode':<9} {'requests':>9} {'errors':>6}"
          f" {'req/s':>7} {'p50':>8} {'p95':>8} {'max':>8}  slowest page (p95 ms)")  # fmt: skip


def report_line(db: str, server: str, clients: int, mode: str, r: Results, show_pages: bool) -> str:
    everything = [v for values in r.latencies.values() for v in values]
    p50, p95, top = percentiles(everything) if everything else (0, 0, 0)
    slowest = max(r.latencies, key=lambda k: percentiles(r.latencies[k])[1], default="")
    slow = f"{slowest} ({percentiles(r.latencies[slowest])[1]:.0f})" if slowest else ""
    line = (f"{db:<16} {server:<9} {clients:>7} {mode:<9} {r.sent:>9} {len(r.errors):>6}"
            f" {r.sent / r.elapsed:>7.1f} {p50:>8.1f} {p95:>8.1f} {top:>8.1f}  {slow}")  # fmt: skip
    if show_pages:
        for label in sorted(r.latencies):
            p50, p95, top = percentiles(r.latencies[label])
            line += f"\n    {label:<44} n {len(r.latencies[label]):>4} p50 {p50:8.1f} p95 {p95:8.1f} max {top:8.1f}"
    for problem in r.errors[:5]:
        line += f"\n    error: {problem}"
    return line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", type=Path, action="append", help="database served (repeatable); default evidence.db"
    )
    parser.add_argument(
        "--url", help="a running `evidence serve` on loopback (one --db); default: start the servers"
    )
    parser.add_argument("--clients", default="16,32", help="concurrent clients, comma-separated")
    parser.add_argument("--requests", type=int, default=400, help="requests per run")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds before a run is cut short")
    parser.add_argument("--servers", default=",".join(SERVERS), help="evidence, stock or both")
    parser.add_argument("--modes", default=",".join(MODES), help="fresh, repeated or both")
    parser.add_argument("--pages", action="store_true", help="a line per page under each run")
    args = parser.parse_args(argv)
    dbs = args.db or [DB_PATH]
    if any(db.stem != "evidence" for db in dbs):
        raise SystemExit("--db: the file must be called evidence.db (the pages ask for /evidence/...)")
    clients = [int(c) for c in args.clients.split(",")]
    servers = args.servers.split(",")
    modes = args.modes.split(",")
    if (min(clients) < 1 or args.requests < 1 or args.time_limit <= 0
            or not set(servers) <= set(SERVERS) or not set(modes) <= set(MODES)):  # fmt: skip
        raise SystemExit(
            "--clients, --requests and --time-limit must be positive; servers and modes as listed"
        )
    if args.url:
        if len(dbs) != 1:
            raise SystemExit("--url takes one --db (the database it serves)")
        require_loopback(args.url)
        servers = ["evidence"]
    print(f"{args.requests} requests per run; cap {args.time_limit:.0f} s per run")
    print(HEADER)
    failed = False
    for db_path in dbs:
        for server in servers:
            targets = pages(db_path, server)
            with nullcontext(args.url) if args.url else started_server(db_path, server) as url:
                # One untimed pass: templates compiled, table counts known, as after any start.
                run_load(url, targets, 1, len(targets), args.time_limit, fresh=True)
                for n, mode in itertools.product(clients, modes):
                    if mode == "repeated":  # every URL asked once before the timed run
                        run_load(url, targets, 1, len(targets), args.time_limit, fresh=False)
                    r = run_load(url, targets, n, args.requests, args.time_limit, fresh=mode == "fresh")
                    print(
                        report_line(
                            f"{db_path.parent.name}/{db_path.name}"[-16:], server, n, mode, r, args.pages
                        ),
                        flush=True,
                    )
                    failed |= bool(r.errors) or r.sent < args.requests
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
