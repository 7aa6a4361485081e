"""Index one muscle's MVC-normalised first-hand values; meta_extract.condition_id from measurement

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 00:40:00

The canned queries muscle_activation and muscle_meta_extract sorted every MVC-normalised value
of a muscle (about 20,000 per muscle on a 1,000,000-row database) before Datasette's row cap
cut the answer to 1,000 rows. Two partial indexes hold those values in the queries' orders,
so SQLite reads the first rows and stops. The view's condition_id now comes from
measurement.condition_id (the same value: the join is on it), so an ORDER BY on it can use
the second index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here, as this revision wrote it (schema.evidence.PRIMARY_MVC_VALUE may move on).
PRIMARY_MVC_VALUE = (
    "metric = 'emg_amplitude' AND normalisation_category IN "
    "('mvc_same_task', 'mvc_standardised_isometric') AND restates_id IS NULL"
)

COLUMNS = """
    m.id AS measurement_id,
    c.study_id AS study_id,
    s.citation AS citation,
    s.year AS year,
    s.doi AS doi,
    s.pmid AS pmid,
    COALESCE(m.n, s.n) AS n,
    s.population AS population,
    c.exercise_id AS exercise_id,
    e.name AS exercise,
    {condition_id} AS condition_id,
    c.label AS condition,
    c.load AS load,
    m.muscle_id AS muscle_id,
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


def view(condition_id: str) -> str:
    return "CREATE VIEW meta_extract AS\nSELECT" + COLUMNS.format(condition_id=condition_id) + FROM


def upgrade() -> None:
    """Index one muscle's MVC-normalised first-hand values; meta_extract.condition_id from measurement"""
    op.execute("DROP VIEW meta_extract")
    op.execute(view("m.condition_id"))
    where = sa.text(PRIMARY_MVC_VALUE)
    op.create_index(
        "ix_measurement_mvc_muscle_statistic_value",
        "measurement",
        ["muscle_id", "statistic", sa.text("value DESC")],
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_index(
        "ix_measurement_mvc_muscle_condition",
        "measurement",
        ["muscle_id", "condition_id", "statistic"],
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    """Undo: drop the two partial indexes; condition_id from condition again (revision 0004)"""
    op.drop_index("ix_measurement_mvc_muscle_condition", table_name="measurement")
    op.drop_index("ix_measurement_mvc_muscle_statistic_value", table_name="measurement")
    op.execute("DROP VIEW meta_extract")
    op.execute(view("c.id"))
