"""The one build: data folder -> a fresh, migrated, indexed evidence.db.

The new database is written to a temporary file beside the target and moved over it only when
every step succeeded, so a failed or killed build leaves the previous evidence.db as it was.

That file is written once and thrown away on any error, so it is written like a bulk loader
writes (bench/ingest.py measures each choice): one transaction; the secondary indexes dropped
before the rows go in and created again from their own SQL after; foreign keys checked once, by
``PRAGMA foreign_key_check``, instead of row by row; no fsync, the rollback journal in memory
(none for VACUUM), temporary b-trees in memory and a larger page cache. The content is the same
as row-by-row inserts give, and so is the content hash.

The extraction files are parsed in parallel and each file's validated result is cached under its
content hash (ingest/parse_cache.py), in ``.cache/emg-evidence/`` beside the database, with the
freshly migrated empty schema: a rebuild after editing one file parses that file only.
"""

from __future__ import annotations

import hashlib
import operator
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event

from .. import schema
from ..analysis.derived import derive
from ..paths import DATA_DIR, DB_PATH, MIGRATIONS_DIR
from . import parse_cache
from . import progress as bars
from .claims import claim_rows, load_claims
from .dataset import Dataset, load_dataset
from .records import EXTRACTION_SUFFIX
from .rows import Rows, to_rows
from .yaml_reader import DataError

#: Full-text indexes: table -> columns (sqlite-utils' enable_fts; Datasette finds them itself).
FTS_COLUMNS = {
    "study": ["title", "authors", "journal", "cited_as", "design"],
    # The claim's id names its topic too (caterisano2002_depth): searching 'depth' finds it.
    "claim": ["id", "assertion", "section", "article_terms", "verdict_reason"],
    "condition": ["label", "depth", "stance", "cue", "load", "notes"],
    "finding": ["summary"],
}


#: The build's cache, beside the database: parsed files and the migrated empty schema.
CACHE_SUBDIR = Path(".cache") / "emg-evidence"

#: Pragmas for a file written once by one process and thrown away on any error. The journal is
#: kept (in memory) while rows go in, so derive()'s ROLLBACK stays defined; VACUUM runs without.
BULK_PRAGMAS = (
    "PRAGMA synchronous = OFF",
    "PRAGMA journal_mode = MEMORY",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA cache_size = -131072",  # KiB: 128 MiB, enough for the largest index's sort
)

#: Rows per executemany: the progress bar moves this often; the batch size costs nothing.
INSERT_BATCH = 25_000


def cache_dir_for(db_path: Path) -> Path:
    """Where a build of ``db_path`` keeps its cache."""
    return Path(db_path).resolve().parent / CACHE_SUBDIR


@dataclass
class BuildResult:
    path: Path
    content_hash: str
    counts: dict[str, int]
    #: `<file>: <field>: <message>` of what the data has that is possible but suspicious.
    warnings: list[str] = field(default_factory=list)


def alembic_config(connection: Any = None) -> Config:
    """Alembic's config for this project, optionally bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema revision."""
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()


def ingest_engine(url: str):
    """An engine that enforces foreign keys on SQLite (off during migrations, per batch.rst)."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

    return engine


def content_hash(path: Path) -> str:
    """SHA-256 of a canonical SQL dump of the database, leaving out build_info itself.

    The dump's statements are sorted: iterdump lists views and indexes in sqlite_master order,
    which VACUUM may change, and equal content must give an equal hash whatever the layout.
    """
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        statements = sorted(s for s in connection.iterdump() if not s.startswith('INSERT INTO "build_info"'))
    finally:
        connection.close()
    digest = hashlib.sha256()
    for statement in statements:
        digest.update(statement.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def enable_fts(target: Path | sqlite3.Connection) -> None:
    """Full-text indexes (FTS_COLUMNS) on the database at ``target``, a path or an open connection."""
    db = sqlite_utils.Database(target)
    for table, columns in FTS_COLUMNS.items():
        # Porter stemming, so that 'squats' finds 'squat' and 'activated' finds 'activation'.
        db.table(table).enable_fts(columns, fts_version="FTS5", replace=True, tokenize="porter")
    if not isinstance(target, sqlite3.Connection):
        db.close()


def finish(target: Path | sqlite3.Connection) -> dict[str, int]:
    """Add what the build computes from the inserted rows: derived tables, full-text indexes.

    :param target: the database's path, or an open connection in autocommit mode
        (``isolation_level=None``)
    :return: the derived tables' row counts
    """
    if isinstance(target, sqlite3.Connection):
        counts = derive(target)
        enable_fts(target)
        return counts
    connection = sqlite3.connect(target, isolation_level=None)
    try:
        counts = derive(connection)
    finally:
        connection.close()
    enable_fts(target)
    return counts


def build(
    db_path: Path = DB_PATH,
    data_dir: Path = DATA_DIR,
    progress: Callable[[str], None] = lambda message: None,
    strict: bool = False,
    cache: bool = True,
    show_bars: bool | None = False,
    workers: int | None = None,
) -> BuildResult:
    """Build ``db_path`` from ``data_dir``; on any error the old file is left untouched.

    :param db_path: the database to (re)place
    :param data_dir: the folder with vocab/, sources.yaml and extractions/
    :param progress: called with a line of text after each step
    :param strict: refuse warnings as errors (CI): nothing is written if there is any
    :param cache: keep and use the cache beside the database (parsed files, migrated schema);
        the result is the same either way
    :param show_bars: progress bars on stderr for a long build (files parsed, rows inserted);
        None: when stderr is a terminal
    :param workers: processes that parse files; None: one per core (a few files: none)
    """
    cache_dir = cache_dir_for(db_path) if cache else None
    long_build = len(list((data_dir / "extractions").glob("*" + EXTRACTION_SUFFIX))) >= bars.LONG_BUILD_FILES
    show = bars.enabled(show_bars) and long_build
    # Everything is validated and resolved before anything is written: a DataError leaves the
    # old database as it was.
    try:
        with bars.bar("parsing files  ", show) as on_files, parse_cache.options(cache_dir, workers, on_files):
            dataset, rows = validated_rows(data_dir)
    except DataError as e:
        raise DataError(e.problems + e.warnings) if strict else e from None
    if strict and dataset.warnings:
        raise DataError(dataset.warnings)
    progress(f"validated {len(dataset.extractions)} extraction files and {len(rows['claim'])} claims")
    warnings = dataset.warnings
    del dataset  # the rows are all the rest needs
    result = write_database(rows, db_path, progress, cache_dir=cache_dir, show_bars=show)
    result.warnings = warnings
    return result


def validated_rows(data_dir: Path = DATA_DIR) -> tuple[Dataset, Rows]:
    """Validate ``data_dir`` and turn it into every table's rows; raise DataError on problems.

    The dataset's ``warnings`` (and a DataError's) list what is suspicious but possible. The SQLite
    build and the PostgreSQL load (ingest/postgres.py) both start here.
    """
    dataset = load_dataset(data_dir)
    rows = to_rows(dataset)
    claims_path = data_dir / "claims.yaml"
    try:
        claim_rows(claims_path, load_claims(claims_path, data_dir), rows)
    except DataError as e:
        raise DataError(e.problems, dataset.warnings + e.warnings) from None
    return dataset, rows


def write_database(
    rows: Rows,
    db_path: Path = DB_PATH,
    progress: Callable[[str], None] = lambda message: None,
    defer_foreign_keys: bool = False,
    cache_dir: Path | None = None,
    show_bars: bool = False,
) -> BuildResult:
    """Write ``rows`` to a fresh, migrated, indexed SQLite file and move it over ``db_path``.

    :param defer_foreign_keys: kept for callers (ingest/postgres.py's publish): foreign keys are
        always checked once, after every row is in, so the order of the rows does not matter
    :param cache_dir: where a migrated empty database is kept, to copy instead of migrating
    :param show_bars: a progress bar of the rows inserted
    """
    db_path = Path(db_path)
    tmp = db_path.parent / f".evidence-{os.getpid()}.db"
    tmp.unlink(missing_ok=True)
    try:
        fresh_schema(tmp, cache_dir)
        progress("migrated a fresh database to head")
        connection = sqlite3.connect(tmp, isolation_level=None)
        try:
            for pragma in BULK_PRAGMAS:
                connection.execute(pragma)
            with bars.bar("inserting rows ", show_bars) as on_rows:
                counts = bulk_insert(connection, rows, on_rows)
            progress("inserted " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
            derived_counts = finish(connection)
        finally:
            connection.close()
        counts.update(derived_counts)
        progress("derived " + ", ".join(f"{n} {t}" for t, n in derived_counts.items()))
        digest = content_hash(tmp)
        info = [("content_hash", digest), ("release", digest[:12])]
        connection = sqlite3.connect(tmp, isolation_level=None)
        try:
            for pragma in BULK_PRAGMAS:
                connection.execute(pragma)
            connection.execute("BEGIN")
            connection.executemany("INSERT INTO build_info (key, value) VALUES (?, ?)", info)
            connection.execute("COMMIT")
            # VACUUM rewrites the whole file: with a journal it would first copy every page.
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("VACUUM")
        finally:
            connection.close()
        counts["build_info"] = len(info)
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
    return BuildResult(db_path, digest, counts)


def schema_version() -> str:
    """A hash of what a freshly migrated database depends on: the migrations, the models they may
    import, and the SQLAlchemy, Alembic and SQLite versions."""
    import alembic
    import sqlalchemy

    digest = hashlib.sha256()
    for folder in (MIGRATIONS_DIR, Path(schema.__file__).resolve().parent):
        for source in sorted(folder.rglob("*.py")):
            digest.update(str(source.relative_to(folder)).encode())
            digest.update(source.read_bytes())
    for version in (sqlalchemy.__version__, alembic.__version__, sqlite3.sqlite_version):
        digest.update(version.encode())
    return digest.hexdigest()


def fresh_schema(path: Path, cache_dir: Path | None = None) -> None:
    """A freshly migrated, empty database at ``path``: migrated by Alembic, or copied from the
    one migrated last time with the same migrations (a byte copy: the same file)."""
    if cache_dir is None:
        migrate(f"sqlite:///{path}")
        return
    template = cache_dir / f"schema-{schema_version()[:20]}.db"
    if not template.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=cache_dir, prefix=".schema-", suffix=".db")
        os.close(fd)
        scratch = Path(name)
        try:
            scratch.unlink()
            migrate(f"sqlite:///{scratch}")
            for old in cache_dir.glob("schema-*.db"):
                if old.name != template.name:  # another version's; another build may use ours
                    old.unlink(missing_ok=True)
            os.replace(scratch, template)
        finally:
            scratch.unlink(missing_ok=True)
    shutil.copyfile(template, path)


def deferrable_indexes(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, SQL) of every index that may be built after the rows are in: those created with
    CREATE INDEX (not UNIQUE, not a constraint's own), partial ones included."""
    found = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
    ).fetchall()
    return [(name, sql) for name, sql in found if sql.lstrip().upper().startswith("CREATE INDEX")]


def bulk_insert(
    connection: sqlite3.Connection,
    rows: Rows,
    on_rows: Callable[[int, int], None] | None = None,
    defer_indexes: bool = True,
) -> dict[str, int]:
    """Insert every table's rows into a freshly migrated database in one transaction.

    Foreign keys are checked once at the end (``PRAGMA foreign_key_check``), every other
    constraint row by row as usual; the secondary indexes are dropped first and created again,
    from the same SQL, after the rows (one sort each instead of a b-tree insert per row). Any
    failure leaves nothing committed.

    :param connection: in autocommit mode (``isolation_level=None``)
    :param on_rows: called with (rows inserted, rows in all) after each batch
    :return: the row count of each table
    """
    tables = schema.Base.metadata.sorted_tables
    total = sum(len(rows.get(t.name) or []) for t in tables)
    connection.execute("PRAGMA foreign_keys = OFF")
    connection.execute("BEGIN")
    try:
        indexes = deferrable_indexes(connection) if defer_indexes else []
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        counts: dict[str, int] = {}
        done = 0
        for table in tables:
            batch = rows.get(table.name) or []
            columns = [c.name for c in table.columns]
            sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
                table.name, ", ".join(f'"{c}"' for c in columns), ", ".join("?" for _ in columns)
            )
            for start in range(0, len(batch), INSERT_BATCH):
                part = batch[start : start + INSERT_BATCH]
                connection.executemany(sql, _tuples(table.name, columns, part, start))
                done += len(part)
                if on_rows is not None:
                    on_rows(done, total)
            counts[table.name] = len(batch)
        for _, sql in indexes:
            connection.execute(sql)
        violations = connection.execute("PRAGMA foreign_key_check").fetchmany(5)
        if violations:
            shown = "; ".join(f"{t} rowid {r} -> {p}" for t, r, p, _ in violations)
            raise sqlite3.IntegrityError(f"FOREIGN KEY constraint failed: {shown}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.execute("PRAGMA foreign_keys = ON")
    return counts


def _tuples(
    table: str, columns: list[str], batch: list[dict[str, Any]], offset: int
) -> Iterable[tuple[Any, ...]]:
    """The rows as tuples in column order; a column a row leaves out is NULL."""
    names = set(columns)
    if len(columns) > 1 and all(r.keys() == names for r in batch):
        # The common case (to_rows gives every column): itemgetter makes the tuples in C.
        return map(operator.itemgetter(*columns), batch)
    for i, r in enumerate(batch):
        if not r.keys() <= names:
            raise KeyError(f"{table}[{offset + i}]: no column(s) {sorted(r.keys() - names)}")
    return (tuple(r.get(c) for c in columns) for r in batch)
