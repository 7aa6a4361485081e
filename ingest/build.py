"""The one build: data folder -> a fresh, migrated, indexed evidence.db.

The new database is written to a temporary file beside the target and moved over it only when
every step succeeded, so a failed or killed build leaves the previous evidence.db as it was.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event

from ..analysis.derived import derive
from ..paths import DATA_DIR, DB_PATH, MIGRATIONS_DIR
from .claims import claim_rows, load_claims
from .dataset import Dataset, load_dataset
from .rows import Rows, insert_rows, to_rows

#: Full-text indexes: table -> columns (sqlite-utils' enable_fts; Datasette finds them itself).
FTS_COLUMNS = {
    "study": ["title", "authors", "journal", "cited_as"],
    "claim": ["assertion", "section", "article_terms", "verdict_reason"],
}


@dataclass
class BuildResult:
    path: Path
    content_hash: str
    counts: dict[str, int]


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


def enable_fts(path: Path) -> None:
    db = sqlite_utils.Database(path)
    for table, columns in FTS_COLUMNS.items():
        db.table(table).enable_fts(columns, fts_version="FTS5", replace=True)
    db.close()


def finish(path: Path) -> dict[str, int]:
    """Add what the build computes from the inserted rows: derived tables, full-text indexes.

    :return: the derived tables' row counts
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        counts = derive(connection)
    finally:
        connection.close()
    enable_fts(path)
    return counts


def build(
    db_path: Path = DB_PATH,
    data_dir: Path = DATA_DIR,
    progress: Callable[[str], None] = lambda message: None,
) -> BuildResult:
    """Build ``db_path`` from ``data_dir``; on any error the old file is left untouched.

    :param db_path: the database to (re)place
    :param data_dir: the folder with vocab/, sources.yaml and extractions/
    :param progress: called with a line of text after each step
    """
    # Everything is validated and resolved before anything is written: a DataError leaves the
    # old database as it was.
    dataset, rows = validated_rows(data_dir)
    progress(f"validated {len(dataset.extractions)} extraction files and {len(rows['claim'])} claims")
    return write_database(rows, db_path, progress)


def validated_rows(data_dir: Path = DATA_DIR) -> tuple[Dataset, Rows]:
    """Validate ``data_dir`` and turn it into every table's rows; raise DataError on problems.

    The SQLite build and the PostgreSQL load (ingest/postgres.py) both start here.
    """
    dataset = load_dataset(data_dir)
    rows = to_rows(dataset)
    claims_path = data_dir / "claims.yaml"
    claim_rows(claims_path, load_claims(claims_path), rows)
    return dataset, rows


def write_database(
    rows: Rows,
    db_path: Path = DB_PATH,
    progress: Callable[[str], None] = lambda message: None,
    defer_foreign_keys: bool = False,
) -> BuildResult:
    """Write ``rows`` to a fresh, migrated, indexed SQLite file and move it over ``db_path``.

    :param defer_foreign_keys: check foreign keys at commit, not row by row, for rows read back
        from another database in primary-key order (ingest/postgres.py's publish)
    """
    db_path = Path(db_path)
    tmp = db_path.parent / f".evidence-{os.getpid()}.db"
    tmp.unlink(missing_ok=True)
    try:
        url = f"sqlite:///{tmp}"
        migrate(url)
        progress("migrated a fresh database to head")
        engine = ingest_engine(url)
        with engine.begin() as connection:
            if defer_foreign_keys:
                connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            counts = insert_rows(connection, rows)
        engine.dispose()
        progress("inserted " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
        derived_counts = finish(tmp)
        counts.update(derived_counts)
        progress("derived " + ", ".join(f"{n} {t}" for t, n in derived_counts.items()))
        digest = content_hash(tmp)
        info = [("content_hash", digest), ("release", digest[:12])]
        connection = sqlite3.connect(tmp)
        with connection:
            connection.executemany("INSERT INTO build_info (key, value) VALUES (?, ?)", info)
        counts["build_info"] = len(info)
        connection.execute("VACUUM")
        connection.close()
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
    return BuildResult(db_path, digest, counts)
