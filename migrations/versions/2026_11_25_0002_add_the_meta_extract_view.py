"""Add the meta_extract view

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 22:32:05.858771
"""

from collections.abc import Sequence

from alembic import op

# The SQL is frozen here as it was at this revision; a later change to the view is a new
# revision. Written in SQL that SQLite and PostgreSQL both accept.
META_EXTRACT = """
CREATE VIEW meta_extract AS
SELECT
    m.id AS measurement_id,
    s.id AS study_id,
    s.citation AS citation,
    s.year AS year,
    s.doi AS doi,
    s.pmid AS pmid,
    COALESCE(m.n, s.n) AS n,
    s.population AS population,
    e.id AS exercise_id,
    e.name AS exercise,
    c.id AS condition_id,
    c.label AS condition,
    c.load AS load,
    mu.id AS muscle_id,
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
FROM measurement m
JOIN condition c ON c.id = m.condition_id
JOIN study s ON s.id = c.study_id
JOIN exercise e ON e.id = c.exercise_id
JOIN muscle mu ON mu.id = m.muscle_id
JOIN source src ON src.id = m.source_id
"""


revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the meta_extract view"""
    op.execute(META_EXTRACT)


def downgrade() -> None:
    """Undo: Add the meta_extract view"""
    op.execute("DROP VIEW meta_extract")
