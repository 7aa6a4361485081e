"""How the database is served: Datasette's options and settings, the limits on what one client may
make the server do, and the private copy of the database that ``evidence serve`` serves. Tests
and benchmarks start Datasette from these same values. metadata.yml, templates/ and the pages'
SQL (sql/) sit beside this file, so an installed wheel has them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from emg_evidence.schema.comparability import population_sql, value_to_use_sql

SERVING_DIR = Path(__file__).resolve().parent
METADATA = SERVING_DIR / "metadata.yml"
TEMPLATES_DIR = SERVING_DIR / "templates"
#: Placeholders the pages' SQL may use: schema/comparability.py's rules, over meta_extract ``e``
#: joined to its study ``s``.
PLACEHOLDERS = {
    "{VALUE_TO_USE}": value_to_use_sql("e."),
    "{POPULATION}": population_sql("e.population_group", "s.clinical_condition"),
}


@cache
def sql(name: str) -> str:
    """The SQL of serving/sql/<name>.sql, placeholders filled in."""
    text = (SERVING_DIR / "sql" / f"{name}.sql").read_text(encoding="utf-8")
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return text


#: 200 rows per response: Datasette spends about 45 us a row of a 30-column answer in Python, so a
#: 1,000-row page held the server 60-100 ms (bench/queries.py). Whole tables stream as CSV
#: (``?_stream=on``), whole meta-analysis extracts come from `evidence export`.
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
    them), each far above what the site's own pages need: the largest real URL (the "Edit SQL" link
    of meta_contrasts) has a 7.3 kB query string, a table page with every column picked about 40
    parameters, the largest stored value 4 kB (tests/test_hostile_clients.py checks them).
    """

    #: Datasette 0.65 parses the query string on every read of request.args: 4,000 parameters
    #: (31 kB) held the server 43 s. Longer gets 414, more parameters 400.
    max_query_string_bytes: int = 8192
    max_path_bytes: int = 2048
    max_query_parameters: int = 100
    #: SQLITE_LIMIT_LENGTH: ``select zeroblob(200000000)`` took the server to 6 GB.
    max_cell_bytes: int = 100_000
    #: SQLITE_LIMIT_COLUMN (the widest view has 37): with max_cell_bytes, one row is at most 10 MB.
    max_columns: int = 100
    #: Text and blob bytes one query may return in all: past it the query is an error (400).
    max_result_bytes: int = 10_000_000
    #: SQLITE_LIMIT_SQL_LENGTH (the longest canned query is 4.4 kB).
    max_sql_bytes: int = 100_000
    #: Arbitrary SQL (``?sql=`` not defined by metadata, ``?_where=``): this many at a time, a
    #: request waits this long for its turn (then 429), under this time limit (``_timelimit``).
    arbitrary_sql_at_once: int = 1
    arbitrary_sql_wait_s: float = 2.0
    arbitrary_sql_time_limit_ms: int = 500
    #: Streaming CSV downloads (``?_stream=on``), rendered in the one event-loop thread: this many
    #: at once, one per client (peer address), so one client cannot lock the others out.
    downloads_at_once: int = 2
    downloads_per_client: int = 1
    #: A response whose client takes no piece of send_piece_bytes for this long is abandoned.
    stall_timeout_s: float = 10.0
    send_piece_bytes: int = 65536
    #: A connection without a whole request head this long after it opened or after its last
    #: response is closed (slow-header clients; serving/run.py).
    header_timeout_s: float = 10.0
    #: Forest plots drawn at once (serving/forest.py); a request waits this long, then 429.
    forest_at_once: int = 1
    forest_wait_s: float = 3.0
    #: A DNS name (253) and a port: the response cache keys on the Host header.
    max_host_bytes: int = 262


LIMITS = Limits()


def datasette_settings() -> dict[str, int | bool | str]:
    """SERVE_SETTINGS as typed values, as Datasette made in Python takes them."""
    typed = {"on": True, "off": False}
    return {k: int(v) if v.isdigit() else typed.get(v, v) for k, v in SERVE_SETTINGS.items()}


class SharedDict(dict):
    """Metadata nothing changes while it is served, shared by a deep copy (``__deepcopy__``, the
    copy module's protocol) instead of copied: Datasette 0.65 deep-copies the whole metadata on
    each table permission check, most of the home and database pages' time (bench/load.py). A
    change is an error; writing a value that is already there is not (see load_metadata)."""

    def __deepcopy__(self, memo: dict) -> SharedDict:
        return self

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self or self[key] != value:
            raise TypeError(f"served metadata is read-only: {key!r}")

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self[key] = self.get(key, default)
        return self[key]

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("served metadata is read-only")

    __delitem__ = pop = popitem = clear = __ior__ = _refuse  # type: ignore[assignment]


def _shared(value: Any, keep: tuple[str, ...] = ()) -> Any:
    """``value`` with every dict in it a SharedDict, but for those under the keys ``keep``."""
    if isinstance(value, dict):
        return SharedDict({k: v if k in keep else _shared(v, keep) for k, v in value.items()})
    return [_shared(v, keep) for v in value] if isinstance(value, list) else value


#: What Datasette's pages fill in from the top level, in place (``update_with_inherited_metadata``).
INHERITED = ("source", "source_url", "license", "license_url", "about", "about_url")


def load_metadata(path: Path = METADATA) -> dict[str, Any]:
    """metadata.yml as served. Each database and table holds the inherited values from the start,
    so Datasette filling them in changes nothing (it changed the dict all pages share: a study's
    page showed the licence or not depending on what was served before). The databases and plugin
    settings are SharedDicts, but for the canned queries, which Datasette completes in place."""
    metadata = yaml.safe_load(path.read_text(encoding="utf-8"))
    inherited = {key: metadata.get(key) for key in INHERITED}
    for database in (metadata.get("databases") or {}).values():
        for part in [database, *(database.get("tables") or {}).values()]:
            for key, value in inherited.items():
                part.setdefault(key, value)
    for key in ("databases", "plugins"):
        if key in metadata:
            metadata[key] = _shared(metadata[key], keep=("queries",))
    return metadata


def datasette_options(db_path: Path) -> dict[str, Any]:
    """The keyword arguments of ``datasette.app.Datasette`` for serving ``db_path`` immutable, with
    the site's metadata, templates and settings (serving/plugin.py must be registered)."""
    return {"files": [], "immutables": [str(db_path)], "metadata": load_metadata(),
            "template_dir": str(TEMPLATES_DIR), "settings": datasette_settings()}  # fmt: skip


#: Folders of snapshots, in the temporary directory: ``evidence-serve-<pid>-<random>``.
SNAPSHOT_PREFIX = "evidence-serve-"


@contextlib.contextmanager
def snapshot(db_path: Path) -> Iterator[Path]:
    """A private, read-only copy of ``db_path``, made now and removed on exit: what ``evidence
    serve`` serves. Datasette opens the file again for each SQL thread, so serving the file itself
    mixed releases when a new build was renamed over it, and a file copied over it in place gave
    'malformed' errors. SQLite's backup API copies one consistent state. Folders a killed server
    left behind (named after its process) are removed at the next start."""
    for folder in Path(tempfile.gettempdir()).glob(SNAPSHOT_PREFIX + "*"):
        pid = folder.name[len(SNAPSHOT_PREFIX) :].split("-", 1)[0]
        try:
            if pid.isdigit() and folder.stat().st_uid == os.getuid():
                os.kill(int(pid), 0)
        except ProcessLookupError:  # its server is gone
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # not ours to judge (another user's process), or gone already
            pass
    folder = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-"))
    try:
        target = folder / db_path.name
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as source:
            with contextlib.closing(sqlite3.connect(target)) as copy:
                source.backup(copy)
        target.chmod(0o400)
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)
