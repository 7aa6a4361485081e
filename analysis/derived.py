"""Derived tables (their SQL: derived.sql): what the canned queries would otherwise recompute on
every request.

Not curated and not in the models: every build (and `evidence publish`) fills them from the
curated tables, before the content hash; Alembic leaves them out, PostgreSQL never holds them.
Pairing a study's values and choosing each value's best source compares every value with its
neighbours (over a second per request in meta_contrasts, meta_single and exercises_compared at
1,000,000 measurements, bench/queries.py); done once here, each query reads rows by an index.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..schema.comparability import contrast_key
from .contrasts import FACTORS, Orientation, pairs


@dataclass(frozen=True)
class DerivedTable:
    name: str
    create: str
    #: an INSERT, or a function that fills the table on the connection
    fill: str | Callable[[sqlite3.Connection], None]
    indexes: tuple[str, ...] = ()


#: The condition columns a technique contrast is labelled and turned by.
_CONDITION_COLUMNS = ("id", "exercise_id", "load", *sorted({c for cs in FACTORS.values() for c in cs}))


def _fill_contrast_pairs(connection: sqlite3.Connection) -> None:
    """Every comparable pair of one study's preferred values, in its direction (analysis/contrasts.py)."""
    connection.row_factory = sqlite3.Row
    try:
        values = [dict(r) for r in connection.execute("SELECT * FROM temp.preferred_value")]
        conditions = {
            r["id"]: dict(r)
            for r in connection.execute(f"SELECT {', '.join(_CONDITION_COLUMNS)} FROM condition")
        }
    finally:
        connection.row_factory = None
    connection.executemany(
        "INSERT INTO contrast_pair (measurement1_id, measurement2_id, study_id, muscle_id, exercise1_id,"
        " exercise2_id, pair, factor, ordered, contrast_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (o.first["measurement_id"], o.second["measurement_id"], o.first["study_id"],
             o.first["muscle_id"], o.first["exercise_id"], o.second["exercise_id"], o.pair, o.factor,
             int(o.ordered), _key(o))
            for o in pairs(values, conditions)
        ],
    )  # fmt: skip


def _key(o: Orientation) -> str | None:
    key = contrast_key(o.first, o.first["clinical_condition"])
    return f"{o.pair}/{key}" if key and o.ordered else None


def _statements(sql: str) -> list[str]:
    """The statements of a part of derived.sql, without its comment lines (a column's indented
    comment stays: SQLite keeps it in the table's schema)."""
    lines = [line for line in sql.splitlines() if not line.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip()]


def _table(name: str, sql: str) -> DerivedTable:
    create, *rest = _statements(sql)
    fills = [s for s in rest if s.startswith("INSERT")]
    indexes = tuple(s for s in rest if s not in fills)
    return DerivedTable(name, create, fills[0] if fills else _fill_contrast_pairs, indexes)


_HEAD, *_PARTS = re.split(
    r"^-- table: (\w+)$", (Path(__file__).parent / "derived.sql").read_text("utf-8"), flags=re.M
)
(_PREFERRED,) = _statements(_HEAD)
TABLES = tuple(_table(name, sql) for name, sql in zip(_PARTS[::2], _PARTS[1::2]))
CONTRAST_PAIR, SINGLE_VALUE = TABLES[:2]  # derived.sql's order
NAMES = frozenset(t.name for t in TABLES)


def derive(connection: sqlite3.Connection) -> dict[str, int]:
    """(Re)create and fill every derived table on ``connection``; return their row counts.
    One explicit transaction (Python's sqlite3 would commit before each CREATE): on an error the
    database keeps what it had."""
    counts = {}
    connection.execute("BEGIN")
    try:
        connection.execute("DROP TABLE IF EXISTS temp.preferred_value")
        connection.execute(_PREFERRED)
        for table in TABLES:
            connection.execute(f"DROP TABLE IF EXISTS {table.name}")
            connection.execute(table.create)
            if callable(table.fill):
                table.fill(connection)
            else:
                connection.execute(table.fill)
            for index in table.indexes:
                connection.execute(index)
            (counts[table.name],) = connection.execute(f"SELECT count(*) FROM {table.name}").fetchone()
        connection.execute("DROP TABLE temp.preferred_value")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return counts
