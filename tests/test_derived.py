"""analysis/derived.py: the tables each build computes from the curated rows."""

import shutil
import sqlite3

import pytest
from alembic import command

from emg_evidence.analysis import derived
from emg_evidence.ingest.build import alembic_config


@pytest.fixture
def db_copy(db_path, tmp_path):
    """A copy of the built database, for the tests that derive again or break it."""
    path = tmp_path / "evidence.db"
    shutil.copy(db_path, path)
    return path


def rows(path, table):
    with sqlite3.connect(path) as connection:
        return connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def test_derive_again_gives_the_same_rows(db_copy):
    before = {t.name: rows(db_copy, t.name) for t in derived.TABLES}
    assert all(before.values())
    connection = sqlite3.connect(db_copy, isolation_level=None)
    counts = derived.derive(connection)
    connection.close()
    assert counts == {name: len(r) for name, r in before.items()}
    assert {t.name: rows(db_copy, t.name) for t in derived.TABLES} == before


def test_a_failing_derive_keeps_the_old_tables(db_copy, monkeypatch):
    before = rows(db_copy, "single_value")
    broken = derived.DerivedTable(
        "single_value", derived.SINGLE_VALUE.create, "INSERT INTO single_value SELECT * FROM nowhere"
    )
    monkeypatch.setattr(derived, "TABLES", (derived.CONTRAST_PAIR, broken))
    connection = sqlite3.connect(db_copy, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        derived.derive(connection)
    connection.close()
    assert rows(db_copy, "single_value") == before


def test_pairs_follow_the_rules(db_copy):
    connection = sqlite3.connect(db_copy)
    pairs = connection.execute(
        """SELECT a.exercise_id < b.exercise_id OR p.factor IS NOT NULL,
                  a.condition_id <> b.condition_id, a.study_id, b.study_id, a.muscle_id, b.muscle_id,
                  a.metric = b.metric AND a.statistic = b.statistic AND a.phase = b.phase
                  AND a.normalisation_category = b.normalisation_category AND a.n IS b.n,
                  a.provenance = b.provenance,
                  a.restates_measurement_id IS NOT NULL AND b.restates_measurement_id IS NOT NULL
           FROM contrast_pair p
           JOIN meta_extract a ON a.measurement_id = p.measurement1_id
           JOIN meta_extract b ON b.measurement_id = p.measurement2_id"""
    ).fetchall()
    assert pairs
    for direction, two, s1, s2, m1, m2, comparable, same_rank, both_restate in pairs:
        assert direction and two and s1 == s2 and m1 == m2 and comparable and same_rank and not both_restate
    # A value and its restatement are never both single values: a restatement appears only where
    # it is the preferred one (a review's SD the paper lacks), and then the paper's value does not.
    both = connection.execute(
        "SELECT count(*) FROM single_value v JOIN measurement m ON m.id = v.measurement_id"
        " JOIN single_value w ON w.measurement_id = m.restates_id"
    ).fetchone()[0]
    assert both == 0
    restating = connection.execute(
        "SELECT m.sd IS NOT NULL AND p.sd IS NULL FROM single_value v"
        " JOIN measurement m ON m.id = v.measurement_id JOIN measurement p ON p.id = m.restates_id"
    ).fetchall()
    assert all(adds_sd for (adds_sd,) in restating)
    connection.close()


def test_alembic_check_ignores_derived_and_full_text_tables(db_copy):
    # The built file has the derived tables and FTS tables; the models do not, on purpose.
    cfg = alembic_config()
    cfg.cmd_opts = type("Opts", (), {"x": [f"url=sqlite:///{db_copy}"]})()
    command.check(cfg)


@pytest.mark.parametrize(
    "table, view, columns",
    [
        ("muscle_term_lookup", "muscle_term", "term, muscle_id, named_muscle_id"),
        ("exercise_term_lookup", "exercise_term", "term, exercise_id"),
    ],
)
def test_term_lookups_hold_their_views_rows(db_path, table, view, columns):
    with sqlite3.connect(db_path) as connection:
        copied = connection.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}").fetchall()
        rule = connection.execute(f"SELECT {columns} FROM {view} ORDER BY {columns}").fetchall()
    assert copied and copied == rule
