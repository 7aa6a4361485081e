"""The limits every SQLite connection of the server gets (serving/plugin.py's prepare_connection)."""

from __future__ import annotations

import sqlite3
import weakref
from typing import Any

from emg_evidence.serving.settings import LIMITS

#: One call can run for seconds, uninterruptible: ``printf('%.*c', 2147483647, 'x')`` ran 13.7 s
#: against a 0.5 s limit. No SQL of the site calls them.
REFUSED_FUNCTIONS = frozenset({"printf", "format"})


def authorize(
    action: int, arg1: str | None, arg2: str | None, database: str | None, source: str | None
) -> int:
    """Refuse REFUSED_FUNCTIONS (writes fail anyway: the file is opened read-only and immutable)."""
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in REFUSED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def limit_connection(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, LIMITS.max_cell_bytes)
    conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, LIMITS.max_columns)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, LIMITS.max_sql_bytes)
    conn.set_authorizer(authorize)
    conn.row_factory = budgeted_rows(LIMITS.max_result_bytes)


def budgeted_rows(limit: int):
    """A row factory making sqlite3.Row that fails a cursor once its text and blobs pass ``limit``."""
    last: list[Any] = [None, 0]  # a weak reference to the cursor being read, its bytes so far

    def row_factory(cursor: sqlite3.Cursor, row: tuple) -> sqlite3.Row:
        if last[0] is None or last[0]() is not cursor:
            last[0], last[1] = weakref.ref(cursor), 0
        last[1] += sum(len(v) if v.__class__ in (str, bytes) else 8 for v in row)
        if last[1] > limit:
            raise sqlite3.DataError(
                f"the result is larger than this server sends ({limit:,} bytes of values)"
            )
        return sqlite3.Row(cursor, row)

    return row_factory
