"""Take meta_extract's id columns from measurement and condition

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:30:00

The view exposed study_id, exercise_id and muscle_id from the small vocabulary tables, so a
filter on them could not reach measurement's and condition's indexes and SQLite scanned
measurement (bench/queries.py on a 1M-row database). The values are the same: the joins are on
these columns. The view's columns and their order are unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = """
    m.id AS measurement_id,
    {study_id} AS study_id,
    s.citation AS citation,
    s.year AS year,
    s.doi AS doi,
    s.pmid AS pmid,
    COALESCE(m.n, s.n) AS n,
    s.population AS population,
    {exercise_id} AS exercise_id,
    e.name AS exercise,
    c.id AS condition_id,
    c.label AS condition,
    c.load AS load,
    {muscle_id} AS muscle_id,
    mu.name AS muscle,
    mu.region AS muscle_region,
    mu.muscle_group AS muscle_group,
    m.phase AS phase,
    m.statistic AS statistic,
    m.value AS value,
    m.dispersion AS dispersion,
    m.dispersion_type AS dispersion_type,
    m.metric AS metric,
    m.unit AS unit,
    m.normalisation_category AS normalisation_category,
    CASE
        WHEN m.metric = 'emg_amplitude'
            AND m.normalisation_category IN ('mvc_same_task', 'mvc_standardised_isometric')
        THEN 1 ELSE 0
    END AS comparable_mvc,
    m.electrode AS electrode,
    src.kind AS provenance,
    src.url AS source_url,
    m.locator AS locator,
    m.restates_id AS restates_measurement_id
"""

FROM = """
FROM measurement m
JOIN condition c ON c.id = m.condition_id
JOIN study s ON s.id = c.study_id
JOIN exercise e ON e.id = c.exercise_id
JOIN muscle mu ON mu.id = m.muscle_id
JOIN source src ON src.id = m.source_id
"""


def view(study_id: str, exercise_id: str, muscle_id: str) -> str:
    columns = COLUMNS.format(study_id=study_id, exercise_id=exercise_id, muscle_id=muscle_id)
    return "CREATE VIEW meta_extract AS\nSELECT" + columns + FROM


def upgrade() -> None:
    """Take meta_extract's id columns from measurement and condition"""
    op.execute("DROP VIEW meta_extract")
    op.execute(view("c.study_id", "c.exercise_id", "m.muscle_id"))


def downgrade() -> None:
    """Undo: the id columns come from study, exercise and muscle again (revision 0002)"""
    op.execute("DROP VIEW meta_extract")
    op.execute(view("s.id", "e.id", "mu.id"))
