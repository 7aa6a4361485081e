"""A team's working copy in PostgreSQL, and publishing it as the SQLite file Datasette serves.

``load`` runs the same Alembic migrations and the same validated rows, inserted the same way
(rows.insert_rows), as `evidence build` into any SQLAlchemy database (PostgreSQL with psycopg 3:
``postgresql+psycopg://...``), replacing what the tables held in one transaction. ``publish`` reads every table back in primary-key order
and writes a SQLite file exactly as the build writes one (migrations, full-text index, content
hash), so a file published from PostgreSQL loaded from data/ has the build's content hash.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, select

from .. import schema
from .build import DATA_DIR, BuildResult, migrate, validated_rows, write_database
from .rows import Rows, insert_rows

#: Tables the build fills itself (build_info) or Alembic owns; never copied between databases.
NOT_COPIED = {"build_info"}


def load(url: str, data_dir: Path = DATA_DIR,
         progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:  # fmt: skip
    """Validate ``data_dir``, migrate ``url`` to head and replace every table's rows with it.

    Nothing is written when the data has problems (DataError); the replacement is one
    transaction, so readers see the old rows or the new, never a mix.

    :param url: a SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/evidence``
    :return: the row count of each table
    """
    _, rows = validated_rows(data_dir)
    progress("validated the data folder")
    migrate(url)
    progress("migrated to head")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for table in reversed(schema.Base.metadata.sorted_tables):
                connection.execute(table.delete())
            counts = insert_rows(connection, {t: r for t, r in rows.items() if t not in NOT_COPIED})
    finally:
        engine.dispose()
    progress("loaded " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
    return counts


def read_rows(url: str) -> Rows:
    engine = create_engine(url)
    rows: Rows = {}
    try:
        with engine.connect() as connection:
            for table in schema.Base.metadata.sorted_tables:
                if table.name in NOT_COPIED:
                    continue
                query = select(table).order_by(*table.primary_key.columns)
                rows[table.name] = [dict(r._mapping) for r in connection.execute(query)]
    finally:
        engine.dispose()
    return rows


def publish(url: str, db_path: Path,
            progress: Callable[[str], None] = lambda message: None) -> BuildResult:  # fmt: skip
    """Write the SQLite file Datasette serves from the database at ``url``.

    The file replaces ``db_path`` only when all of it was written, as with `evidence build`.
    """
    rows = read_rows(url)
    progress("read " + ", ".join(f"{len(r)} {t}" for t, r in rows.items() if r))
    return write_database(rows, db_path, progress)
