"""Derived tables: what the meta-analysis queries would otherwise recompute on every request.

These are not curated data and not part of the models: every `evidence build` (and `evidence
publish`) fills them from the curated tables, after the rows are in and before the content hash,
like the full-text indexes. Alembic's env.py leaves them out of autogenerate, PostgreSQL never
holds them, and no one edits them.

Why they exist: pairing the values of one study's conditions, and choosing each value's best
source, compares every value with its neighbours. On a 1,000,000-measurement database that took
over a second per request in the canned queries `meta_contrasts`, `meta_single` and
`exercises_compared` (bench/queries.py). Done once at build time, each query reads rows in the
order of a primary key or an index and stops at Datasette's row cap.

What may be paired is schema/comparability.py's rule, in which direction analysis/contrasts.py's
(which value is preferred is analysis/preferred.py's); the canned queries in analysis/sql/ join
these rows to `meta_extract` and compute the effect sizes.
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


# meta_extract's preferred rows as both fills compare them. Made once per derive() as a temporary
# table (never in the file): the view joins five tables for every value, and both fills read it.
#: The columns of meta_extract the pairings read, of the rows ``preferred`` picks: all that the
#: derived tables depend on besides the vocabularies, measurement.side (a left leg pairs with a
#: left leg) and the conditions' depth, load, stance and cue (the technique factor of a pair;
#: analysis/contrasts.py).
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
    """Every comparable pair of one study's preferred values (schema/comparability.py's
    ``paired``), in its direction with its technique factor (analysis/contrasts.py)."""
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
    """The pool a pair's difference enters: its pair and muscle key, where it has both."""
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
    # Only preferred values pair (analysis/preferred.py): a restatement never doubles a pair.
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
    # Each value once: the preferred one of the sources that give it (analysis/preferred.py).
    # Numbered in meta_single's order.
    fill="""
INSERT INTO single_value (measurement_id, study_id, exercise_id, muscle_id)
SELECT x.measurement_id, x.study_id, x.exercise_id, x.muscle_id
FROM temp.preferred_value x
ORDER BY x.muscle_id, x.exercise_id, x.study_id, x.statistic, x.phase, x.measurement_id
""",
    indexes=("CREATE INDEX ix_single_value_muscle_id ON single_value (muscle_id)",),
)

# The words for muscles and exercises, as the views muscle_term and exercise_term read them
# (schema/views.py holds the rule). A query that joins a view materialises every word's reading
# (a UNION ALL, a correlated minimum, a DISTINCT) before it looks one word up; here is a copy of
# each view's rows, searched through an index. On the 1,000,000-measurement base the SQL of
# exercises_compared (three look-ups) went from 2.9 to 1.8 ms, muscle_meta_extract's from 0.83
# to 0.67 ms and muscle_activation's from 1.74 to 1.55 ms (first 201 rows, best of 30).
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

    Runs in one explicit transaction (Python's sqlite3 would commit before each CREATE): on an
    error the database keeps what it had.
    """
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
