"""Participants, study quality, central tendency, EMG ratios and review tables

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:45:00

The wider literature needs what the first twelve studies did not:
- study: a population label to filter by (healthy trained / untrained / athletes / clinical),
  the clinical condition, age and training experience with their SDs and where they were read,
  and a PEDro score where a review tabulates one;
- study_field_source: the page (and place) each bibliographic field (DOI, PMID, authors...), the
  participants' numbers and the PEDro score were read on;
- measurement: central_tendency (mean or median across participants), apart from the amplitude
  statistic within a trial, which gains 'rms' and 'not_reported'; the metric emg_ratio with its
  denominator muscle; the normalisation contralateral_limb (% of the other limb);
- review_pooled: a review's pooled rows, kept apart from measurement.
meta_extract gains population_group, central_tendency and muscle_b_id.

Existing rows get population_group 'not_reported' (the build writes every row anew).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from emg_evidence.migrations.helpers import rebuild_sqlite_table

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_METRICS = (
    "'emg_amplitude', 'emg_share_of_sum', 'relative_muscular_effort', 'joint_moment', 'joint_work', 'other'"
)
NEW_METRICS = "'emg_amplitude', 'emg_share_of_sum', 'relative_muscular_effort', 'joint_moment', 'joint_work', 'emg_ratio', 'other'"
OLD_STATISTICS = "'mean', 'peak', 'median', 'integrated', 'other'"
NEW_STATISTICS = "'mean', 'rms', 'peak', 'median', 'integrated', 'other', 'not_reported'"
OLD_NORMALISATIONS = "'mvc_same_task', 'mvc_standardised_isometric', 'submaximal_reference', 'task_peak_or_mean', 'not_normalised', 'not_reported', 'not_applicable'"
NEW_NORMALISATIONS = "'mvc_same_task', 'mvc_standardised_isometric', 'submaximal_reference', 'task_peak_or_mean', 'contralateral_limb', 'not_normalised', 'not_reported', 'not_applicable'"
OLD_EMG = "'emg_amplitude', 'emg_share_of_sum'"
NEW_EMG = "'emg_amplitude', 'emg_share_of_sum', 'emg_ratio'"
OLD_NON_NEGATIVE = "'emg_amplitude', 'emg_share_of_sum', 'relative_muscular_effort'"
NEW_NON_NEGATIVE = "'emg_amplitude', 'emg_share_of_sum', 'relative_muscular_effort', 'emg_ratio'"
POPULATION_GROUPS = "'healthy_trained', 'healthy_untrained', 'athletes', 'clinical', 'not_reported'"
FIELDS = "'authors', 'year', 'title', 'journal', 'volume', 'issue', 'pages', 'doi', 'pmid', 'participants', 'pedro_score'"

MVC = "m.metric = 'emg_amplitude'\n            AND m.normalisation_category IN ('mvc_same_task', 'mvc_standardised_isometric')"

META_EXTRACT_0007 = f"""CREATE VIEW meta_extract AS
SELECT
    m.id AS measurement_id,
    c.study_id AS study_id,
    s.citation AS citation,
    s.year AS year,
    s.doi AS doi,
    s.pmid AS pmid,
    CAST(COALESCE(m.n, s.n) AS INTEGER) AS n,
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
    CAST(CASE
        WHEN {MVC}
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

META_EXTRACT_0009 = (
    META_EXTRACT_0007.replace(
        "    s.population AS population,\n",
        "    s.population AS population,\n    s.population_group AS population_group,\n",
    )
    .replace(
        "    m.statistic AS statistic,\n",
        "    m.statistic AS statistic,\n    m.central_tendency AS central_tendency,\n",
    )
    .replace(
        "    mu.muscle_group AS muscle_group,\n",
        "    mu.muscle_group AS muscle_group,\n    m.muscle_b_id AS muscle_b_id,\n",
    )
)


def _swap_checks(batch_op, checks: list[tuple[str, str]]) -> None:
    for name, sql in checks:
        batch_op.drop_constraint(op.f(name), type_="check")
        batch_op.create_check_constraint(op.f(name), sql)


MEASUREMENT_CHECKS = [
    ("ck_measurement_metric_vocabulary", f"metric IN ({OLD_METRICS})", f"metric IN ({NEW_METRICS})"),
    ("ck_measurement_statistic_vocabulary", f"statistic IN ({OLD_STATISTICS})", f"statistic IN ({NEW_STATISTICS})"),
    ("ck_measurement_normalisation_category_vocabulary", f"normalisation_category IN ({OLD_NORMALISATIONS})",
     f"normalisation_category IN ({NEW_NORMALISATIONS})"),
    ("ck_measurement_normalisation_only_for_emg", f"metric IN ({OLD_EMG}) OR normalisation_category = 'not_applicable'",
     f"metric IN ({NEW_EMG}) OR normalisation_category = 'not_applicable'"),
    ("ck_measurement_value_non_negative", f"NOT metric IN ({OLD_NON_NEGATIVE}) OR value >= 0",
     f"NOT metric IN ({NEW_NON_NEGATIVE}) OR value >= 0"),
]  # fmt: skip
MEASUREMENT_NEW_CHECKS = [
    ("ck_measurement_central_tendency_vocabulary", "central_tendency IN ('mean', 'median')"),
    ("ck_measurement_ratio_has_denominator", "(metric = 'emg_ratio') = (muscle_b_id IS NOT NULL)"),
]
FINDING_CHECKS = [
    ("ck_finding_metric_vocabulary", f"metric IN ({OLD_METRICS})", f"metric IN ({NEW_METRICS})"),
    (
        "ck_finding_statistic_vocabulary",
        f"statistic IN ({OLD_STATISTICS})",
        f"statistic IN ({NEW_STATISTICS})",
    ),
]
STUDY_COLUMNS: list[tuple[str, str, Any]] = [
    ("population_group", "VARCHAR NOT NULL DEFAULT 'not_reported'", sa.String()),
    ("clinical_condition", "VARCHAR", sa.String()),
    ("age_mean", "DOUBLE", sa.Double()),
    ("age_sd", "DOUBLE", sa.Double()),
    ("training_years_mean", "DOUBLE", sa.Double()),
    ("training_years_sd", "DOUBLE", sa.Double()),
    ("pedro_score", "INTEGER", sa.Integer()),
]
STUDY_NEW_CHECKS = [
    ("ck_study_population_group_vocabulary", f"population_group IN ({POPULATION_GROUPS})"),
    ("ck_study_clinical_names_condition", "population_group <> 'clinical' OR clinical_condition IS NOT NULL"),
    ("ck_study_age_positive", "age_mean > 0 AND age_sd >= 0"),
    ("ck_study_training_years_non_negative", "training_years_mean >= 0 AND training_years_sd >= 0"),
    ("ck_study_pedro_score_range", "pedro_score BETWEEN 0 AND 10"),
]


def _upgrade_sqlite() -> None:
    rebuild_sqlite_table(
        "measurement",
        [(f"CONSTRAINT {name} CHECK ({old})", f"CONSTRAINT {name} CHECK ({new})") for name, old, new in MEASUREMENT_CHECKS],
        ["muscle_b_id VARCHAR(80)", "central_tendency VARCHAR"],
        [f"{name} CHECK ({sql})" for name, sql in MEASUREMENT_NEW_CHECKS]
        + ["fk_measurement_muscle_b_id_muscle FOREIGN KEY(muscle_b_id) REFERENCES muscle (id)"],
    )  # fmt: skip
    rebuild_sqlite_table(
        "finding",
        [(f"CONSTRAINT {name} CHECK ({old})", f"CONSTRAINT {name} CHECK ({new})") for name, old, new in FINDING_CHECKS],
        [],
        [],
    )  # fmt: skip
    # The DEFAULT only fills existing rows (the model has none); SQLite cannot drop it later
    # without another rebuild, and every build writes every row with its group anyway.
    rebuild_sqlite_table(
        "study",
        [],
        [f"{name} {ddl}" for name, ddl, _ in STUDY_COLUMNS],
        [f"{name} CHECK ({sql})" for name, sql in STUDY_NEW_CHECKS],
    )
    op.create_index(op.f("ix_study_population_group"), "study", ["population_group"])


def _upgrade_other() -> None:
    for name, _old, new in MEASUREMENT_CHECKS + FINDING_CHECKS:
        table = "measurement" if name.startswith("ck_measurement") else "finding"
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, new)
    op.add_column("measurement", sa.Column("muscle_b_id", sa.String(length=80), nullable=True))
    op.add_column("measurement", sa.Column("central_tendency", sa.String(), nullable=True))
    op.create_foreign_key(
        op.f("fk_measurement_muscle_b_id_muscle"), "measurement", "muscle", ["muscle_b_id"], ["id"]
    )
    for name, sql in MEASUREMENT_NEW_CHECKS:
        op.create_check_constraint(op.f(name), "measurement", sql)
    for name, _ddl, type_ in STUDY_COLUMNS:
        default = "not_reported" if name == "population_group" else None
        op.add_column("study", sa.Column(name, type_, nullable=default is None, server_default=default))
    op.alter_column("study", "population_group", server_default=None)
    op.create_index(op.f("ix_study_population_group"), "study", ["population_group"])
    for name, sql in STUDY_NEW_CHECKS:
        op.create_check_constraint(op.f(name), "study", sql)


def upgrade() -> None:
    """Participants, study quality, central tendency, EMG ratios and review tables"""
    # The tables under the view are rebuilt; the view must not exist meanwhile.
    op.execute("DROP VIEW meta_extract")
    op.create_table(
        "study_field_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(length=80), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("locator", sa.String(), nullable=True),
        sa.CheckConstraint(f"field IN ({FIELDS})", name=op.f("ck_study_field_source_field_vocabulary")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_study_field_source_source_id_source")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["study.id"], name=op.f("fk_study_field_source_study_id_study")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_field_source")),
        sa.UniqueConstraint("study_id", "field", name=op.f("uq_study_field_source_study_id_field")),
    )
    op.create_index(op.f("ix_study_field_source_study_id"), "study_field_source", ["study_id"])
    op.create_table(
        "review_pooled",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("exercise_id", sa.String(length=80), nullable=False),
        sa.Column("exercise_label", sa.String(), nullable=False),
        sa.Column("muscle_id", sa.String(length=80), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=True),
        sa.Column("statistic", sa.String(), nullable=False),
        sa.Column("central_tendency", sa.String(), nullable=True),
        sa.Column("pooled_mean", sa.Double(), nullable=True),
        sa.Column("sd", sa.Double(), nullable=True),
        sa.Column("range_low", sa.Double(), nullable=True),
        sa.Column("range_high", sa.Double(), nullable=True),
        sa.Column("subjects", sa.Integer(), nullable=True),
        sa.Column("studies", sa.Integer(), nullable=True),
        sa.Column("locator", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=True),
        sa.CheckConstraint(
            "central_tendency IN ('mean', 'median')",
            name=op.f("ck_review_pooled_central_tendency_vocabulary"),
        ),
        sa.CheckConstraint(f"metric IN ({NEW_METRICS})", name=op.f("ck_review_pooled_metric_vocabulary")),
        sa.CheckConstraint(
            f"statistic IN ({NEW_STATISTICS})", name=op.f("ck_review_pooled_statistic_vocabulary")
        ),
        sa.CheckConstraint("range_low <= range_high", name=op.f("ck_review_pooled_range_ordered")),
        sa.CheckConstraint("sd >= 0", name=op.f("ck_review_pooled_sd_non_negative")),
        sa.CheckConstraint("subjects > 0 AND studies > 0", name=op.f("ck_review_pooled_counts_positive")),
        sa.ForeignKeyConstraint(
            ["exercise_id"], ["exercise.id"], name=op.f("fk_review_pooled_exercise_id_exercise")
        ),
        sa.ForeignKeyConstraint(["muscle_id"], ["muscle.id"], name=op.f("fk_review_pooled_muscle_id_muscle")),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_review_pooled_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_pooled")),
    )
    for column in ("exercise_id", "muscle_id", "source_id"):
        op.create_index(op.f(f"ix_review_pooled_{column}"), "review_pooled", [column])

    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_other()
    op.execute(META_EXTRACT_0009)


def downgrade() -> None:
    """Undo: back to revision 0008"""
    op.execute("DROP VIEW meta_extract")
    with op.batch_alter_table("study") as batch_op:
        for name in ("population_group_vocabulary", "clinical_names_condition", "age_positive",
                     "training_years_non_negative", "pedro_score_range"):  # fmt: skip
            batch_op.drop_constraint(op.f(f"ck_study_{name}"), type_="check")
        batch_op.drop_index(op.f("ix_study_population_group"))
        for column in ("pedro_score", "training_years_sd", "training_years_mean", "age_sd",
                       "age_mean", "clinical_condition", "population_group"):  # fmt: skip
            batch_op.drop_column(column)
    with op.batch_alter_table("finding") as batch_op:
        _swap_checks(batch_op, [
            ("ck_finding_metric_vocabulary", f"metric IN ({OLD_METRICS})"),
            ("ck_finding_statistic_vocabulary", f"statistic IN ({OLD_STATISTICS})"),
        ])  # fmt: skip
    with op.batch_alter_table("measurement") as batch_op:
        batch_op.drop_constraint(op.f("ck_measurement_ratio_has_denominator"), type_="check")
        batch_op.drop_constraint(op.f("ck_measurement_central_tendency_vocabulary"), type_="check")
        _swap_checks(batch_op, [
            ("ck_measurement_metric_vocabulary", f"metric IN ({OLD_METRICS})"),
            ("ck_measurement_statistic_vocabulary", f"statistic IN ({OLD_STATISTICS})"),
            ("ck_measurement_normalisation_category_vocabulary", f"normalisation_category IN ({OLD_NORMALISATIONS})"),
            ("ck_measurement_normalisation_only_for_emg", f"metric IN ({OLD_EMG}) OR normalisation_category = 'not_applicable'"),
            ("ck_measurement_value_non_negative", f"NOT metric IN ({OLD_NON_NEGATIVE}) OR value >= 0"),
        ])  # fmt: skip
        batch_op.drop_constraint(op.f("fk_measurement_muscle_b_id_muscle"), type_="foreignkey")
        batch_op.drop_column("central_tendency")
        batch_op.drop_column("muscle_b_id")
    for column in ("source_id", "muscle_id", "exercise_id"):
        op.drop_index(op.f(f"ix_review_pooled_{column}"), "review_pooled")
    op.drop_table("review_pooled")
    op.drop_index(op.f("ix_study_field_source_study_id"), "study_field_source")
    op.drop_table("study_field_source")
    op.execute(META_EXTRACT_0007)
