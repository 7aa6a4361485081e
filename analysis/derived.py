"""Derived tables: what the canned queries would otherwise recompute on every request.

Not curated and not in the models: every build (and `evidence publish`) fills them from the
curated tables, before the content hash; Alembic leaves them out, PostgreSQL never holds them.
Pairing a study's values and choosing each value's best source compares every value with its
neighbours (over a second per request in meta_contrasts, meta_single and exercises_compared at
1,000,000 measurements, bench/queries.py); done once here, each query reads rows by an index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from ..schema.comparability import contrast_key
from .contrasts import FACTORS, Orientation, pairs


@dataclass(frozen=True)
class DerivedTable:
    name: str
    create: str
    #: an INSERT, or a function that fills the table on the connection
    fill: str | Callable[[sqlite3.Connection], None]
    indexes: tuple[str, ...] = ()


# meta_extract's preferred rows, with the side (a left leg pairs with a left leg), as a temporary
# table made once per derive(): the view joins five tables for every value, and both fills read it.
INPUT_COLUMNS = ("measurement_id", "study_id", "exercise_id", "muscle_id", "condition_id", "metric",
                 "unit", "normalisation_category", "statistic", "phase", "n", "central_tendency",
                 "provenance", "restates_measurement_id", "population_group")  # fmt: skip
_PREFERRED = f"""
CREATE TEMP TABLE preferred_value AS
    SELECT {", ".join("e." + c for c in INPUT_COLUMNS)}, m.side, s.clinical_condition
    FROM meta_extract e
    JOIN measurement m ON m.id = e.measurement_id
    JOIN study s ON s.id = e.study_id
    WHERE e.preferred = 1"""

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


CONTRAST_PAIR = DerivedTable(
    name="contrast_pair",
    create="""
CREATE TABLE contrast_pair (
    id INTEGER PRIMARY KEY,
    measurement1_id INTEGER NOT NULL REFERENCES measurement (id),
    measurement2_id INTEGER NOT NULL REFERENCES measurement (id),
    study_id TEXT NOT NULL REFERENCES study (id),
    muscle_id TEXT NOT NULL REFERENCES muscle (id),
    exercise1_id TEXT NOT NULL REFERENCES exercise (id),
    exercise2_id TEXT NOT NULL REFERENCES exercise (id),
    -- 'a-vs-b' (two exercises, alphabetical) or 'exercise:factor' (technique)
    pair TEXT NOT NULL,
    factor TEXT,
    -- 1: in the pair's common direction; 0: a technique contrast without ordered levels
    ordered INTEGER NOT NULL,
    -- the pool its difference enters (schema/comparability.py's contrast key), or NULL
    contrast_key TEXT
)""",
    # Python, not SQL: the direction of a technique contrast reads the conditions' levels.
    fill=_fill_contrast_pairs,
    indexes=(
        "CREATE INDEX ix_contrast_pair_exercises ON contrast_pair (exercise1_id, exercise2_id)",
        "CREATE INDEX ix_contrast_pair_study_id ON contrast_pair (study_id)",
    ),
)

SINGLE_VALUE = DerivedTable(
    name="single_value",
    create="""
CREATE TABLE single_value (
    id INTEGER PRIMARY KEY,
    measurement_id INTEGER NOT NULL UNIQUE REFERENCES measurement (id),
    study_id TEXT NOT NULL REFERENCES study (id),
    exercise_id TEXT NOT NULL REFERENCES exercise (id),
    muscle_id TEXT NOT NULL REFERENCES muscle (id)
)""",
    # Numbered in meta_single's order.
    fill="""
INSERT INTO single_value (measurement_id, study_id, exercise_id, muscle_id)
SELECT x.measurement_id, x.study_id, x.exercise_id, x.muscle_id
FROM temp.preferred_value x
ORDER BY x.muscle_id, x.exercise_id, x.study_id, x.statistic, x.phase, x.measurement_id
""",
    indexes=("CREATE INDEX ix_single_value_muscle_id ON single_value (muscle_id)",),
)

# A copy of the views muscle_term and exercise_term (schema/views.py holds the rule), searched
# through an index: a query joining a view reads every word's rows before it looks one up.
MUSCLE_TERM_LOOKUP = DerivedTable(
    name="muscle_term_lookup",
    create="""
CREATE TABLE muscle_term_lookup (
    id INTEGER PRIMARY KEY,
    term TEXT NOT NULL,
    muscle_id TEXT NOT NULL REFERENCES muscle (id),
    named_muscle_id TEXT NOT NULL REFERENCES muscle (id)
)""",
    fill="""
INSERT INTO muscle_term_lookup (term, muscle_id, named_muscle_id)
SELECT term, muscle_id, named_muscle_id FROM muscle_term ORDER BY term, muscle_id, named_muscle_id
""",
    indexes=("CREATE INDEX ix_muscle_term_lookup_term ON muscle_term_lookup (term, muscle_id)",),
)

EXERCISE_TERM_LOOKUP = DerivedTable(
    name="exercise_term_lookup",
    create="""
CREATE TABLE exercise_term_lookup (
    id INTEGER PRIMARY KEY,
    term TEXT NOT NULL,
    exercise_id TEXT NOT NULL REFERENCES exercise (id)
)""",
    fill="""
INSERT INTO exercise_term_lookup (term, exercise_id)
SELECT term, exercise_id FROM exercise_term ORDER BY term, exercise_id
""",
    indexes=("CREATE INDEX ix_exercise_term_lookup_term ON exercise_term_lookup (term, exercise_id)",),
)

TABLES: tuple[DerivedTable, ...] = (
    CONTRAST_PAIR,
    SINGLE_VALUE,
    MUSCLE_TERM_LOOKUP,
    EXERCISE_TERM_LOOKUP,
)
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
