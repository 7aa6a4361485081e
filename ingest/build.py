"""The one build: data folder -> a fresh, migrated, indexed evidence.db, in six steps.

1. read and validate every file (``validated_rows``: dataset.load_dataset, then the claims);
2. make every table's rows (rows.to_rows, claims.claim_rows);
3. migrate a fresh temporary file beside the target to the newest schema (Alembic);
4. insert the rows in one transaction (rows.insert_rows: SQLAlchemy Core, as for PostgreSQL);
5. derive the tables the queries read (analysis/derived.py) and add the full-text indexes;
6. hash its content (a canonical dump), record the hash, VACUUM, and move the file over the
   target (``os.replace``).

Until the last step nothing touches the target: a build that fails (a problem in the data, an
error, a kill) leaves the previous evidence.db byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
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
from .yaml_reader import DataError, with_lines

#: Full-text indexes: table -> columns (sqlite-utils' enable_fts; Datasette finds them itself).
FTS_COLUMNS = {
    "study": ["title", "authors", "journal", "cited_as", "design"],
    # The claim's id names its topic too (caterisano2002_depth): searching 'depth' finds it.
    "claim": ["id", "assertion", "section", "article_terms", "verdict_reason"],
    "condition": ["label", "depth", "stance", "cue", "load", "notes"],
    "finding": ["summary"],
}


@dataclass
class BuildResult:
    path: Path
    content_hash: str
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)  # possible but suspicious, `file: field: message`


def build(
    db_path: Path = DB_PATH,
    data_dir: Path = DATA_DIR,
    progress: Callable[[str], None] = lambda message: None,
    strict: bool = False,
) -> BuildResult:
    """Build ``db_path`` from ``data_dir``; on any error the old file is left untouched.

    :param strict: refuse warnings as errors (CI): nothing is written if there is any
    """
    try:
        dataset, rows = validated_rows(data_dir)
    except DataError as e:
        raise DataError(e.problems + e.warnings) if strict else e from None
    if strict and dataset.warnings:
        raise DataError(dataset.warnings)
    progress(f"validated {len(dataset.extractions)} extraction files and {len(rows['claim'])} claims")
    result = write_database(rows, db_path, progress)
    result.warnings = dataset.warnings
    return result


def validated_rows(data_dir: Path = DATA_DIR) -> tuple[Dataset, Rows]:
    """Validate ``data_dir`` and turn it into every table's rows; raise DataError on problems.
    The build and the PostgreSQL load (ingest/postgres.py) both start here."""
    dataset = load_dataset(data_dir)
    rows = to_rows(dataset)
    claims_path = data_dir / "claims.yaml"
    lines: dict[str, int] = {}
    try:
        claim_rows(claims_path, load_claims(claims_path, data_dir, lines), rows)
    except DataError as e:
        raise DataError(with_lines(e.problems, claims_path, lines), dataset.warnings + e.warnings) from None
    return dataset, rows


def write_database(
    rows: Rows, db_path: Path = DB_PATH, progress: Callable[[str], None] = lambda message: None
) -> BuildResult:
    """Write ``rows`` to a fresh, migrated, indexed SQLite file and move it over ``db_path``
    (steps 3 to 6 of the module's doc); on any error ``db_path`` is left as it was."""
    db_path = Path(db_path)
    tmp = db_path.parent / f".evidence-{os.getpid()}.db"
    tmp.unlink(missing_ok=True)  # a dead build's, of a process with this pid
    try:
        url = f"sqlite:///{tmp}"
        migrate(url)
        progress("migrated a fresh database to head")
        engine = ingest_engine(url)
        try:
            with engine.begin() as connection:
                # Foreign keys are checked at the commit: rows read back from PostgreSQL come in
                # primary-key order, where a value may come before the one it restates.
                connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                counts = insert_rows(connection, rows)
        finally:
            engine.dispose()
        progress("inserted " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
        connection = sqlite3.connect(tmp, isolation_level=None)
        try:
            derived = derive(connection)
            enable_fts(connection)
            progress("derived " + ", ".join(f"{n} {t}" for t, n in derived.items()))
            digest = content_hash(connection)
            connection.executemany(
                "INSERT INTO build_info (key, value) VALUES (?, ?)",
                [("content_hash", digest), ("release", digest[:12])],
            )
            connection.execute("VACUUM")  # the same rows give the same bytes
        finally:
            connection.close()
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
    return BuildResult(db_path, digest, {**counts, **derived, "build_info": 2})


def alembic_config(connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(url: str) -> None:
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


def enable_fts(connection: sqlite3.Connection) -> None:
    db = sqlite_utils.Database(connection)
    for table, columns in FTS_COLUMNS.items():
        # Porter stemming, so that 'squats' finds 'squat' and 'activated' finds 'activation'.
        db.table(table).enable_fts(columns, fts_version="FTS5", replace=True, tokenize="porter")


def content_hash(target: Path | sqlite3.Connection) -> str:
    """SHA-256 of the database's canonical dump, build_info's rows left out: one line per
    statement, in sorted order, so that equal content gives an equal hash whatever the file's
    layout (VACUUM may reorder sqlite_master).

    The statements are those ``sqlite3.Connection.iterdump`` writes (as of Python 3.11): each
    table's CREATE (a virtual table's as an insert into sqlite_master), each row as
    ``INSERT INTO "t" VALUES(...)`` with SQLite's ``quote()``, each index, trigger and view.
    The rows' statements are made and sorted by SQLite, a table at a time, and merged.
    """
    connection = sqlite3.connect(f"file:{target}?mode=ro", uri=True) if isinstance(target, Path) else target
    try:
        statements, streams = ["BEGIN TRANSACTION;", "COMMIT;"], []
        found = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql NOT NULL ORDER BY type, name"
        ).fetchall()
        for kind, name, sql in found:
            if kind != "table":
                statements.append(f"{sql};")
            elif name.startswith("sqlite_"):
                continue
            elif sql.startswith("CREATE VIRTUAL TABLE"):
                statements.append(
                    "INSERT INTO sqlite_master(type,name,tbl_name,rootpage,sql)"
                    "VALUES('table','{0}','{0}',0,'{1}');".format(
                        name.replace("'", "''"), sql.replace("'", "''")
                    )
                )
            else:
                statements.append(f"{sql};")
            if kind == "table" and not name.startswith("sqlite_") and name != "build_info":
                streams.append(_row_statements(connection, name))
        if any(sql.startswith("CREATE VIRTUAL TABLE") for kind, _, sql in found if kind == "table"):
            statements += ["PRAGMA writable_schema=ON;", "PRAGMA writable_schema=OFF;"]
        digest = hashlib.sha256()
        for statement in heapq.merge(sorted(statements), *streams):
            digest.update(statement.encode("utf-8") + b"\n")
        return digest.hexdigest()
    finally:
        if connection is not target:
            connection.close()


def _row_statements(connection: sqlite3.Connection, table: str):
    """A table's rows as ``INSERT INTO "t" VALUES(...);`` statements, sorted by SQLite."""
    ident = table.replace('"', '""')
    columns = [str(c[1]) for c in connection.execute(f'PRAGMA table_info("{ident}")')]
    values = ",".join("'||quote(\"{}\")||'".format(c.replace('"', '""')) for c in columns)
    statement = "'INSERT INTO \"{}\" VALUES({});'".format(ident.replace("'", "''"), values)
    return (s for (s,) in connection.execute(f'SELECT {statement} AS s FROM "{ident}" ORDER BY s'))
