"""The build's SD (with its origin) and preferred flag on measurement and meta_extract

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:10:00

An SE, a 95% CI or an IQR becomes an SD by a named method, and sd_source says which (or that
the SD was printed as such); exactly one of several sources' values for the same thing is
preferred, so `?comparable_mvc=1&preferred=1` never counts a restatement twice. Both are
computed by the build from the curated columns, never edited.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from emg_evidence.migrations.helpers import rebuild_sqlite_table

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SD_SOURCES = "'reported', 'review', 'from_se', 'from_ci', 'from_iqr:wan2014'"
CHECKS = [
    ("ck_measurement_sd_non_negative", "sd >= 0"),
    ("ck_measurement_sd_has_source", "(sd IS NULL) = (sd_source IS NULL)"),
    ("ck_measurement_sd_source_vocabulary", f"sd_source IN ({SD_SOURCES})"),
]


def _view(with_new: bool) -> str:
    """meta_extract as revision 0009 made it, or with sd, sd_source and preferred."""
    new = (
        "    m.sd AS sd,\n    m.sd_source AS sd_source,\n    m.preferred AS preferred,\n" if with_new else ""
    )
    mvc = "m.metric = 'emg_amplitude'\n            AND m.normalisation_category IN ('mvc_same_task', 'mvc_standardised_isometric')"
    return f"""CREATE VIEW meta_extract AS
SELECT
    m.id AS measurement_id,
    c.study_id AS study_id,
    s.citation AS citation,
    s.year AS year,
    s.doi AS doi,
    s.pmid AS pmid,
    CAST(COALESCE(m.n, s.n) AS INTEGER) AS n,
    s.population AS population,
    s.population_group AS population_group,
    c.exercise_id AS exercise_id,
    e.name AS exercise,
    m.condition_id AS condition_id,
    c.label AS condition,
    c.load AS load,
    m.muscle_id AS muscle_id,
    mu.name AS muscle,
    mu.region AS muscle_region,
    mu.muscle_group AS muscle_group,
    m.muscle_b_id AS muscle_b_id,
    m.phase AS phase,
    m.statistic AS statistic,
    m.central_tendency AS central_tendency,
    m.value AS value,
    m.dispersion AS dispersion,
    m.dispersion_type AS dispersion_type,
{new}    m.metric AS metric,
    m.unit AS unit,
    m.normalisation_category AS normalisation_category,
    CAST(CASE
        WHEN {mvc}
        THEN 1 ELSE 0
    END AS INTEGER) AS comparable_mvc,
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


def upgrade() -> None:
    """Add sd, sd_source and preferred"""
    op.execute("DROP VIEW meta_extract")
    if op.get_bind().dialect.name == "sqlite":
        rebuild_sqlite_table(
            "measurement",
            [],
            ["sd DOUBLE", "sd_source VARCHAR", "preferred BOOLEAN NOT NULL DEFAULT 0"],
            [f"{name} CHECK ({sql})" for name, sql in CHECKS],
        )
    else:
        op.add_column("measurement", sa.Column("sd", sa.Double(), nullable=True))
        op.add_column("measurement", sa.Column("sd_source", sa.String(), nullable=True))
        op.add_column(
            "measurement", sa.Column("preferred", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        op.alter_column("measurement", "preferred", server_default=None)
        for name, sql in CHECKS:
            op.create_check_constraint(op.f(name), "measurement", sql)
    op.execute(_view(with_new=True))


def downgrade() -> None:
    """Drop sd, sd_source and preferred"""
    op.execute("DROP VIEW meta_extract")
    with op.batch_alter_table("measurement") as batch_op:
        for name, _sql in CHECKS:
            batch_op.drop_constraint(op.f(name), type_="check")
        for column in ("preferred", "sd_source", "sd"):
            batch_op.drop_column(column)
    op.execute(_view(with_new=False))
