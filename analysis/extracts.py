"""The canned queries of the meta-analysis extracts (analysis/sql/) run on a database file, with
the effect-size SQL functions, so the export gets what Datasette serves for the same query."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ..paths import DB_PATH
from .effect_sizes import DEFAULT_RI, register_sql_functions
from .queries import QueryNotFound, query_sql

CONTRASTS_QUERY = "meta_contrasts"
SINGLE_QUERY = "meta_single"


class ExportError(Exception):
    """The export cannot run; the message names the file and field at fault."""


def connect(db_path: Path) -> sqlite3.Connection:
    """A read-only connection to ``db_path`` with the effect-size SQL functions."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise ExportError(f"{db_path}: (file): no such database; run `evidence build` first")
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    register_sql_functions(connection)
    return connection


def run_query(db_path: Path, name: str, params: dict[str, Any]) -> tuple[list[str], list[tuple]]:
    try:
        sql = query_sql(name)
    except QueryNotFound as e:
        raise ExportError(str(e)) from e
    connection = connect(db_path)
    try:
        cursor = connection.execute(sql, params)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    except sqlite3.Error as e:
        raise ExportError(f"analysis/sql/{name}.sql: (query): {e} (on {db_path})") from e
    finally:
        connection.close()
    return columns, rows


def contrast_rows(db_path: Path = DB_PATH, ri: float = DEFAULT_RI) -> list[dict[str, Any]]:
    if not -1 <= ri <= 1:
        raise ExportError(f"ri: {ri} is not a correlation between -1 and 1")
    columns, rows = run_query(db_path, CONTRASTS_QUERY, {"ri": ri})
    return [dict(zip(columns, row)) for row in rows]


def single_rows(db_path: Path = DB_PATH) -> list[dict[str, Any]]:
    columns, rows = run_query(db_path, SINGLE_QUERY, {})
    return [dict(zip(columns, row)) for row in rows]
