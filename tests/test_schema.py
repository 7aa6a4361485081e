"""The models' constraints hold in the real database, whatever the ingest lets through; the
migrations' views are schema/views.py's."""

import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import create_engine, event, insert
from sqlalchemy.exc import IntegrityError

from emg_evidence import schema
from emg_evidence.ingest.build import migrate
from emg_evidence.schema.views import VIEWS


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")

    @event.listens_for(engine, "connect")
    def _fk_on(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    schema.Base.metadata.create_all(engine)
    with engine.begin() as c:
        c.execute(
            insert(schema.Muscle),
            [{"id": "gluteus_maximus", "name": "gluteus maximus", "muscle_group": "gluteals"}],
        )
        c.execute(insert(schema.Exercise), [{"id": "back_squat", "name": "back squat", "pattern": "squat"}])
        c.execute(
            insert(schema.Study),
            [
                {
                    "id": "s2020",
                    "citation": "S (2020)",
                    "identification": "verified",
                    "population_group": "healthy_trained",
                }
            ],
        )
        c.execute(insert(schema.Source), [{"id": "src", "kind": "primary", "citation": "x"}])
        c.execute(
            insert(schema.Condition),
            [{"id": 1, "study_id": "s2020", "key": "c", "exercise_id": "back_squat", "label": "squat"}],
        )
    return engine


GOOD = {
    "condition_id": 1, "muscle_id": "gluteus_maximus", "metric": "emg_amplitude",
    "normalisation_category": "mvc_standardised_isometric", "electrode": "surface",
    "statistic": "mean", "phase": "whole", "value": 40.0, "source_id": "src", "locator": "abstract",
    "preferred": True,
}  # fmt: skip


def test_a_good_measurement_inserts(engine):
    with engine.begin() as c:
        c.execute(insert(schema.Measurement), [GOOD])


@pytest.mark.parametrize(
    "change, constraint",
    [
        ({"metric": "emg"}, "ck_measurement_metric_vocabulary"),
        ({"statistic": "average"}, "ck_measurement_statistic_vocabulary"),
        ({"phase": "up"}, "ck_measurement_phase_vocabulary"),
        ({"electrode": "needle"}, "ck_measurement_electrode_vocabulary"),
        ({"normalisation_category": "mvc"}, "ck_measurement_normalisation_category_vocabulary"),
        ({"dispersion": -1.0, "dispersion_type": "sd"}, "ck_measurement_dispersion_non_negative"),
        ({"dispersion": 3.0}, "ck_measurement_dispersion_has_type"),
        ({"n": 0}, "ck_measurement_n_positive"),
        ({"value": -5.0}, "ck_measurement_value_non_negative"),
        ({"metric": "emg_share_of_sum", "value": 120.0}, "ck_measurement_share_at_most_100"),
        ({"metric": "joint_moment"}, "ck_measurement_normalisation_only_for_emg"),
        ({"muscle_id": "nosuch"}, "FOREIGN KEY"),
        ({"source_id": "nosuch"}, "FOREIGN KEY"),
        ({"locator": None}, "NOT NULL"),
    ],
)
def test_measurement_constraints(engine, change, constraint):
    with pytest.raises(IntegrityError, match=constraint):
        with engine.begin() as c:
            c.execute(insert(schema.Measurement), [{**GOOD, **change}])


@pytest.mark.parametrize(
    "model, row, constraint",
    [
        (schema.Study, {"id": "x", "citation": "x", "identification": "sure", "population_group": "healthy_trained"},
         "ck_study_identification_vocabulary"),
        (schema.Study, {"id": "x", "citation": "x", "identification": "verified", "n": 0, "population_group": "healthy_trained"},
         "ck_study_n_positive"),
        (schema.Study, {"id": "x", "citation": "x", "identification": "verified", "year": 1066, "population_group": "healthy_trained"},
         "ck_study_year_range"),
        (schema.Source, {"id": "x", "kind": "blog", "citation": "x"}, "ck_source_kind_vocabulary"),
        (schema.Condition, {"id": 2, "study_id": "s2020", "key": "c", "exercise_id": "back_squat",
                            "label": "dup"}, "UNIQUE"),
        (schema.Condition, {"id": 2, "study_id": "s2020", "key": "d", "exercise_id": "back_squat",
                            "label": "x", "knee_angle_deg": 270.0}, "ck_condition_knee_angle_range"),
        (schema.Finding, {"study_id": "s2020", "condition_a_id": 1, "muscle_id": "gluteus_maximus",
                          "metric": "emg_amplitude", "statistic": "mean", "phase": "whole",
                          "direction": "a_greater", "p_value": 1.5, "p_relation": "=",
                          "summary": "x", "source_id": "src", "locator": "abstract"},
         "ck_finding_p_value_range"),
    ],
)  # fmt: skip
def test_other_constraints(engine, model, row, constraint):
    with pytest.raises(IntegrityError, match=constraint):
        with engine.begin() as c:
            c.execute(insert(model), [row])


def test_every_constraint_is_named():
    for table in schema.Base.metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, f"{table.name} has an unnamed constraint"


def test_head_holds_exactly_the_views_of_views_py(tmp_path):
    path = tmp_path / "head.db"
    migrate(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as connection:
        views = dict(connection.execute("select name, sql from sqlite_master where type = 'view'"))
    assert sorted(views) == sorted(VIEWS), "views at head are not the views of schema/views.py"
    for name, sql in VIEWS.items():
        # SQLite keeps the statement's text as written, up to its last token.
        assert views[name] == sql.strip(), f"view {name} at head differs from schema/views.py"
