"""The canned queries' SQL, one file per query in analysis/sql/, for Datasette and the export;
and the export's run of them on a database file, with the effect-size SQL functions, so that it
gets what Datasette serves for the same query.

A rule the database defines once is put into the SQL, not copied: ``{MVC_COMPARABLE}``,
``{VALUE_TO_USE}`` and ``{LEVEL_KEY}`` (over meta_extract ``e`` joined to its study ``st``)
become schema/comparability.py's rules."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from ..paths import DB_PATH
from ..schema.comparability import level_key_sql, mvc_comparable_sql, value_to_use_sql
from .effect_sizes import DEFAULT_RI, register_sql_functions

SQL_DIR = Path(__file__).resolve().parent / "sql"

#: Placeholders a query's SQL may use, and what each stands for.
PLACEHOLDERS = {
    "{MVC_COMPARABLE}": mvc_comparable_sql(),
    "{VALUE_TO_USE}": value_to_use_sql(),
    "{LEVEL_KEY}": level_key_sql("e.", "st.clinical_condition"),
}


def names() -> list[str]:
    return sorted(p.stem for p in SQL_DIR.glob("*.sql"))


@cache
def query_sql(name: str) -> str:
    path = SQL_DIR / f"{name}.sql"
    if "/" in name or not path.is_file():
        raise LookupError(f"{path}: (file): no canned query {name!r}")
    sql = path.read_text(encoding="utf-8").strip()
    for placeholder, value in PLACEHOLDERS.items():
        sql = sql.replace(placeholder, value)
    return sql


class ExportError(Exception):
    """The export cannot run; the message names the file and field at fault."""


@contextmanager
def connect(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to ``db_path`` with the effect-size SQL functions, closed after use."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise ExportError(f"{db_path}: (file): no such database; run `evidence build` first")
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    register_sql_functions(connection)
    try:
        yield connection
    finally:
        connection.close()


def query_rows(db_path: Path, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with connect(db_path) as connection:
        try:
            cursor = connection.execute(query_sql(name), params or {})
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row)) for row in cursor]
        except sqlite3.Error as e:
            raise ExportError(f"analysis/sql/{name}.sql: (query): {e} (on {db_path})") from e


def contrast_rows(db_path: Path = DB_PATH, ri: float = DEFAULT_RI) -> list[dict[str, Any]]:
    return query_rows(db_path, "meta_contrasts", {"ri": ri})


def single_rows(db_path: Path = DB_PATH) -> list[dict[str, Any]]:
    return query_rows(db_path, "meta_single")
