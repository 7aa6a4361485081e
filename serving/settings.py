"""How the database is served: Datasette's options and settings, the limits on what one client may
make the server do, and the private copy of the database that ``evidence serve`` serves.

Tests and benchmarks start Datasette from these same values, so what they measure is what is
deployed. metadata.yml and templates/ sit beside this file, so an installed wheel has them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SERVING_DIR = Path(__file__).resolve().parent
METADATA = SERVING_DIR / "metadata.yml"
TEMPLATES_DIR = SERVING_DIR / "templates"

#: Serving limits: the database is public and read-only, so no query may run long or dump all.
#: 200 rows per response: Datasette spends about 45 us per row of a 30-column answer in Python
#: (text decoding, JSON), so a 1,000-row page took 60-100 ms however fast the SQL was, and held
#: the server that long under load (bench/queries.py, bench/load.py). Whole tables and views
#: stream as CSV with Datasette's own ``?_stream=on``, whole meta-analysis extracts come from
#: `evidence export`; tables page on with _next.
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
    """What one client may make the server do, beyond SERVE_SETTINGS (serving/harden.py enforces
    them). Each is far above what the site's own pages need: the largest real URL, the "Edit SQL"
    link of meta_contrasts, has a 5.2 kB query string (7.3 kB as JavaScript encodes it); a table
    page with every column picked sends about 40 parameters; the largest stored value is 4 kB.
    tests/test_hostile_clients.py checks the real URLs against them.
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
    #: Text and blob bytes one query may return in all (at most max_returned_rows rows): past it
    #: the query is an error (400).
    max_result_bytes: int = 10_000_000
    #: SQLITE_LIMIT_SQL_LENGTH: the longest SQL text (the longest canned query is 4.4 kB).
    max_sql_bytes: int = 100_000
    #: Arbitrary SQL (``?sql=`` not defined by metadata, ``?_where=``) runs this many at a time ...
    arbitrary_sql_at_once: int = 1
    #: ... a request waits at most this long for its turn, then gets 429 ...
    arbitrary_sql_wait_s: float = 2.0
    #: ... and runs under this time limit instead of sql_time_limit_ms (Datasette's ?_timelimit=).
    arbitrary_sql_time_limit_ms: int = 500
    #: Downloads: Datasette's streaming CSV (``?_stream=on``, where /-/csv/ URLs lead) this many at
    #: once, from all clients together. It renders every row through the table view in the
    #: server's one event-loop thread, so few.
    downloads_at_once: int = 2
    #: One client (one peer address) holds at most this many at once, so a client that opens
    #: downloads and never reads cannot lock the others out until stall_timeout_s. Another gets
    #: 429, as does any client once all slots are taken.
    downloads_per_client: int = 1
    #: A response whose client reads nothing for this long (a 64 kB piece not taken) is abandoned:
    #: the connection is closed and its download slot freed.
    stall_timeout_s: float = 10.0
    #: Body pieces the stall check waits on: a reader slower than this per stall_timeout_s is cut.
    send_piece_bytes: int = 65536
    #: A connection that has not sent a whole request head (line and headers) this long after it
    #: opened, or after its last response, is closed (slow-header clients; serving/run.py).
    header_timeout_s: float = 10.0
    #: Forest plots drawn at once (serving/forest.py), off the event loop; a request waits at
    #: most forest_wait_s for its turn, then gets 429.
    forest_at_once: int = 1
    forest_wait_s: float = 3.0
    #: A Host header longer than a DNS name (253) plus a port is refused (400): the response
    #: cache keys on it (Datasette writes some absolute URLs from it).
    max_host_bytes: int = 262


LIMITS = Limits()


def datasette_settings() -> dict[str, int | bool | str]:
    """SERVE_SETTINGS as typed values, as Datasette made in Python takes them."""
    typed = {"on": True, "off": False}
    return {k: int(v) if v.isdigit() else typed.get(v, v) for k, v in SERVE_SETTINGS.items()}


class SharedDict(dict):
    """A part of the metadata that nothing changes while it is served, shared instead of copied.

    Datasette 0.65 deep-copies the whole metadata on each view-table permission check, and the
    home and database pages check every table twice: about 1 ms a check with our column
    descriptions, dashboards and queries, most of these pages' time (bench/load.py). What is
    never changed may be shared by a deep copy (``__deepcopy__``, the copy module's documented
    protocol). A change is an error; writing a value that is already there is not (Datasette's
    pages fill in the inherited licence and source in place: ``load_metadata`` puts them there
    first, so that changes nothing)."""

    def __deepcopy__(self, memo: dict) -> SharedDict:
        return self

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self or self[key] != value:
            raise TypeError(f"served metadata is read-only: {key!r}")

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("served metadata is read-only")

    __delitem__ = pop = popitem = clear = __ior__ = _refuse  # type: ignore[assignment]


def _shared(value: Any, keep: tuple[str, ...] = ()) -> Any:
    """``value`` with every dict in it a SharedDict, but for those under the keys ``keep``."""
    if isinstance(value, dict):
        return SharedDict({k: v if k in keep else _shared(v, keep) for k, v in value.items()})
    if isinstance(value, list):
        return [_shared(v, keep) for v in value]
    return value


#: What Datasette's database and table views fill in from the top level on every page
#: (``update_with_inherited_metadata``), in place.
INHERITED = ("source", "source_url", "license", "license_url", "about", "about_url")


def load_metadata(path: Path = METADATA) -> dict[str, Any]:
    """metadata.yml as served: each database's and table's own dict holds the inherited values
    from the start, so Datasette's filling them in on a page changes nothing (it changed the one
    dict all pages share: a study's page showed the licence or not depending on whether a table
    page had been served before); the databases and plugin settings are shared, not copied
    (SharedDict), but for the canned queries, which Datasette completes in place with their SQL
    (serving/plugin.py's canned_queries) on first use."""
    metadata = yaml.safe_load(path.read_text(encoding="utf-8"))
    inherited = {key: metadata.get(key) for key in INHERITED}
    for database in (metadata.get("databases") or {}).values():
        for key, value in inherited.items():
            database.setdefault(key, value)
        for table in (database.get("tables") or {}).values():
            for key, value in inherited.items():
                table.setdefault(key, value)
    for key in ("databases", "plugins"):
        if key in metadata:
            metadata[key] = _shared(metadata[key], keep=("queries",))
    return metadata


def datasette_options(db_path: Path) -> dict[str, Any]:
    """The keyword arguments of ``datasette.app.Datasette`` for serving ``db_path``: immutable,
    with the site's metadata, templates and settings (serving/plugin.py must be registered)."""
    return {
        "files": [],
        "immutables": [str(db_path)],
        "metadata": load_metadata(),
        "template_dir": str(TEMPLATES_DIR),
        "settings": datasette_settings(),
    }


#: Folders of snapshots, in the temporary directory: ``evidence-serve-<pid>-<random>``.
SNAPSHOT_PREFIX = "evidence-serve-"


@contextlib.contextmanager
def snapshot(db_path: Path) -> Iterator[Path]:
    """A private, read-only copy of ``db_path``, made now and removed on exit: what
    ``evidence serve`` serves.

    Datasette opens the file again for each of its SQL threads, so serving the file itself was inconsistent when it changed: a new build renamed over it left
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
