"""How the database is served: Datasette's settings and the command line `evidence serve` runs.

Tests and benchmarks start Datasette from these same values, so what they measure is what is
deployed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..paths import METADATA, PLUGINS_DIR, TEMPLATES_DIR

#: Serving limits: the database is public and read-only, so no query may run long or dump all.
#: 200 rows per response: Datasette spends about 45 us per row of a 30-column answer in Python
#: (text decoding, JSON), so a 1,000-row page took 60-100 ms however fast the SQL was, and held
#: the server that long under load (bench/queries.py, bench/load.py). Whole extracts stream from
#: /-/csv/ (serving/plugins/fast_csv.py) or `evidence export`; tables page on with _next.
SERVE_SETTINGS = {
    "sql_time_limit_ms": "1000",
    "max_returned_rows": "200",
    "allow_download": "off",
    "default_page_size": "100",
    # Facet suggestions run one timed query per column per table page: on a million rows each
    # ran to its 50 ms limit, 3 s per page (docs/performance.rst suggests turning them off).
    "suggest_facets": "off",
}


@dataclass(frozen=True)
class Limits:
    """What one client may make the server do, beyond SERVE_SETTINGS (serving/plugins/harden.py and
    fast_csv.py enforce them). Each is far above what the site's own pages need: the largest real
    URL, the "Edit SQL" link of meta_contrasts, has a 5.2 kB query string (7.3 kB as JavaScript
    encodes it); a table page with every column picked sends about 40 parameters; the largest
    stored value is 4 kB. tests/test_hostile_clients.py checks the real URLs against them.
    """

    #: Longer query strings get 414 before Datasette parses them (Datasette 0.65 parses the query
    #: string again on every read of request.args: 4,000 parameters, 31 kB, held the server 43 s).
    max_query_string_bytes: int = 8192
    #: A longer path gets 414.
    max_path_bytes: int = 2048
    #: More parameters than this get 400.
    max_query_parameters: int = 100
    #: SQLITE_LIMIT_LENGTH of every connection: no string, blob or row of any query may be longer
    #: (``select zeroblob(200000000)`` took the server from 138 MB to 6 GB). 25 times the
    #: largest value stored.
    max_cell_bytes: int = 100_000
    #: SQLITE_LIMIT_COLUMN: columns of a result (the widest view has 37). With max_cell_bytes
    #: it bounds one row, which is read whole before max_result_bytes can be checked: 10 MB.
    max_columns: int = 100
    #: Text and blob bytes one query on Datasette's connections may return in all (at most
    #: max_returned_rows rows): past it the query is an error (400). Not on /-/csv/, which
    #: streams every row of a table or canned query in constant memory.
    max_result_bytes: int = 10_000_000
    #: SQLITE_LIMIT_SQL_LENGTH: the longest SQL text (the longest canned query is 4.4 kB).
    max_sql_bytes: int = 100_000
    #: Arbitrary SQL (``?sql=`` not defined by metadata, ``?_where=``) runs this many at a time ...
    arbitrary_sql_at_once: int = 1
    #: ... a request waits at most this long for its turn, then gets 429 ...
    arbitrary_sql_wait_s: float = 2.0
    #: ... and runs under this time limit instead of sql_time_limit_ms (Datasette's ?_timelimit=).
    arbitrary_sql_time_limit_ms: int = 500
    #: Downloads: /-/csv/ (serving/plugins/fast_csv.py) runs this many at a time, from all
    #: clients together; each holds one of fast_csv's reading threads ...
    csv_downloads_at_once: int = 3
    #: ... and Datasette's own streaming CSV (``?_stream=on``) this many. It renders every row
    #: through the table view in the server's one event-loop thread (25 times slower than
    #: /-/csv/), so few.
    datasette_streams_at_once: int = 2
    #: Of each kind, one client (one peer address) holds at most this many at once, so a client
    #: that opens downloads and never reads cannot lock the others out until stall_timeout_s.
    #: Another gets 429, as does any client once all of a kind's slots are taken.
    downloads_per_client: int = 1
    #: A response whose client reads nothing for this long (a 64 kB piece not taken) is abandoned:
    #: the connection is closed and its download slot freed.
    stall_timeout_s: float = 10.0
    #: Body pieces the stall check waits on: a reader slower than this per stall_timeout_s is cut.
    send_piece_bytes: int = 65536


LIMITS = Limits()


def datasette_settings() -> dict[str, int | bool | str]:
    """SERVE_SETTINGS as typed values, for a Datasette made in Python (tests, benchmarks)."""
    typed = {"on": True, "off": False}
    return {k: int(v) if v.isdigit() else typed.get(v, v) for k, v in SERVE_SETTINGS.items()}


def serve_args(db_path: Path, host: str, port: int) -> list[str]:
    """The datasette command line that ``evidence serve`` runs, in its own process, over the
    snapshot of the database (``snapshot``); benchmarks start it as a command."""
    args = [
        sys.executable, "-m", "datasette", "serve",
        "-i", str(db_path),
        "--metadata", str(METADATA),
        "--plugins-dir", str(PLUGINS_DIR),
        "--host", host,
        "--port", str(port),
    ]  # fmt: skip
    if TEMPLATES_DIR.exists():
        args += ["--template-dir", str(TEMPLATES_DIR)]
    for name, value in SERVE_SETTINGS.items():
        args += ["--setting", name, value]
    return args


#: Folders of snapshots, in the temporary directory: ``evidence-serve-<pid>-<random>``.
SNAPSHOT_PREFIX = "evidence-serve-"


@contextlib.contextmanager
def snapshot(db_path: Path) -> Iterator[Path]:
    """A private, read-only copy of ``db_path``, made now and removed on exit: what
    ``evidence serve`` serves.

    Datasette opens the file again for each of its SQL threads and /-/csv/ for each download, so
    serving the file itself was inconsistent when it changed: a new build renamed over it left
    pages on the old release and downloads on the new one, and a file copied over it in place
    gave 'malformed' errors. The copy keeps every route on one release until restart; publishing
    a new release is ``evidence build``, then restarting ``evidence serve``.

    The copy goes in its own folder of the temporary directory ($TMPDIR, else /tmp), named after
    this process; folders a killed server left behind are removed at the next start.
    """
    _remove_abandoned_snapshots()
    folder = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-"))
    try:
        target = folder / db_path.name
        for _ in range(3):
            if _copy_unchanged(db_path, target):
                break
        else:
            raise RuntimeError(f"{db_path} kept changing while it was copied: is a build writing it?")
        target.chmod(0o400)
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _copy_unchanged(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target``; False if the file changed while it was read."""
    with open(source, "rb") as src, open(target, "wb") as out:
        before = os.fstat(src.fileno())
        shutil.copyfileobj(src, out, 1 << 20)
        after = os.fstat(src.fileno())
        copied = out.tell()
    return before.st_size == after.st_size == copied and before.st_mtime_ns == after.st_mtime_ns


def _remove_abandoned_snapshots() -> None:
    for folder in Path(tempfile.gettempdir()).glob(SNAPSHOT_PREFIX + "*"):
        pid = folder.name[len(SNAPSHOT_PREFIX) :].split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:  # its server is gone
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # not ours to judge (another user's process), or gone already
            continue
