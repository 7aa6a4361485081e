"""Give meta_extract's computed columns (n, comparable_mvc) INTEGER affinity

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 01:10:00

A view column computed by CASE or COALESCE has no type affinity, so SQLite compared it with a
filter's text value as text: Datasette's ?comparable_mvc=1 and ?n=13 (the value arrives as
the string '1') matched no row at all, and on a million rows read them all to say so. A CAST
gives the column INTEGER affinity, as a table column declared INTEGER has; the values are the
same.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

N = "COALESCE(m.n, s.n)"
COMPARABLE_MVC = """CASE
        WHEN m.metric = 'emg_amplitude'
            AND m.normalisation_category IN ('mvc_same_task', 'mvc_standardised_isometric')
        THEN 1 ELSE 0
    END"""

COLUMNS = """
    m.id AS measurement_id,
    c.study_id AS study_id,
    s.citation AS citation,
    s.year AS year,
    s.doi AS doi,
    s.pmid AS pmid,
    {n} AS n,
    s.population AS population,
    c.exercise_id AS exercise_id,
    e.name AS exercise,
    m.condition_id AS condition_id,
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
    {comparable_mvc} AS comparable_mvc,
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


def view(n: str, comparable_mvc: str) -> str:
    columns = COLUMNS.format(n=n, comparable_mvc=comparable_mvc)
    return "CREATE VIEW meta_extract AS\nSELECT" + columns + FROM


def upgrade() -> None:
    """Give meta_extract's computed columns (n, comparable_mvc) INTEGER affinity"""
    op.execute("DROP VIEW meta_extract")
    op.execute(view(f"CAST({N} AS INTEGER)", f"CAST({COMPARABLE_MVC} AS INTEGER)"))


def downgrade() -> None:
    """Undo: the computed columns without affinity again (revision 0006)"""
    op.execute("DROP VIEW meta_extract")
    op.execute(view(N, COMPARABLE_MVC))
