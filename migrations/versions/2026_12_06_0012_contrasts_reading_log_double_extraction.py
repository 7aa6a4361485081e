"""Contrasts as printed, approximate and unlabelled spreads, sides, reading logs, double extraction

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 14:00:00

Many abstracts report a difference between two exercises (with its CI, SE or exact p) instead of
each exercise's mean: the contrast table holds those as data, so a meta-analysis can pool them by
generic inverse variance. A measurement says whether it was printed as approximate ('~50%'),
whether its spread was printed without saying SD or SE ('unlabelled'), where the source says
what the spread is, and which limb it is for. reading_log records every copy of a paper that was
tried; extraction_check and extraction_difference the agreement of two independent extractions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from emg_evidence.migrations.helpers import rebuild_sqlite_table

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_DISPERSION = "dispersion_type IN ('sd', 'se', 'iqr', 'ci95', 'range')"
NEW_DISPERSION = "dispersion_type IN ('sd', 'se', 'iqr', 'ci95', 'range', 'unlabelled')"
SIDES = "side IN ('left', 'right', 'dominant', 'non_dominant')"
METRICS = (
    "'emg_amplitude', 'emg_share_of_sum', 'relative_muscular_effort', 'joint_moment', 'joint_work', "
    "'emg_ratio', 'other'"
)
NORMALISATIONS = (
    "'mvc_same_task', 'mvc_standardised_isometric', 'submaximal_reference', 'task_peak_or_mean', "
    "'contralateral_limb', 'not_normalised', 'not_reported', 'not_applicable'"
)
STATISTICS = "'mean', 'rms', 'peak', 'median', 'integrated', 'other', 'not_reported'"
PHASES = "'whole', 'concentric', 'eccentric', 'isometric', 'upper_range', 'lower_range', 'not_reported'"
ESTIMATE_TYPES = "'mean_difference', 'percent_difference', 'effect_size_d', 'effect_size_g', 'ratio', 'other'"
SHOWED = (
    "'abstract', 'full_text', 'full_text_cut', 'table', 'poster', 'record_only', 'not_found', "
    "'unrelated', 'other'"
)


def _meta_extract_sql() -> str:
    # The view reads measurement, which SQLite rebuilds: it is dropped and made again as it was.
    return (
        op.get_bind()
        .exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'meta_extract'")
        .scalar_one()
    )


def _measurement_up() -> None:
    if op.get_bind().dialect.name == "sqlite":
        view = _meta_extract_sql()
        op.execute("DROP VIEW meta_extract")
        rebuild_sqlite_table(
            "measurement",
            [(f"CONSTRAINT ck_measurement_dispersion_type_vocabulary CHECK ({OLD_DISPERSION})",
              f"CONSTRAINT ck_measurement_dispersion_type_vocabulary CHECK ({NEW_DISPERSION})")],
            ["dispersion_locator VARCHAR", "approximate BOOLEAN NOT NULL DEFAULT 0", "side VARCHAR"],
            [f"ck_measurement_side_vocabulary CHECK ({SIDES})"],
        )  # fmt: skip
        op.execute(view)
        return
    op.drop_constraint(op.f("ck_measurement_dispersion_type_vocabulary"), "measurement", type_="check")
    op.create_check_constraint(
        op.f("ck_measurement_dispersion_type_vocabulary"), "measurement", NEW_DISPERSION
    )
    op.add_column("measurement", sa.Column("dispersion_locator", sa.String(), nullable=True))
    op.add_column(
        "measurement", sa.Column("approximate", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.alter_column("measurement", "approximate", server_default=None)
    op.add_column("measurement", sa.Column("side", sa.String(), nullable=True))
    op.create_check_constraint(op.f("ck_measurement_side_vocabulary"), "measurement", SIDES)


def upgrade() -> None:
    """Add contrast, reading_log, extraction_check, extraction_difference; new measurement columns"""
    op.create_table(
        "contrast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(length=80), nullable=False),
        sa.Column("condition_a_id", sa.Integer(), nullable=False),
        sa.Column("condition_b_id", sa.Integer(), nullable=False),
        sa.Column("muscle_id", sa.String(length=80), nullable=False),
        sa.Column("muscle_label", sa.String(), nullable=True),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=True),
        sa.Column("normalisation_category", sa.String(), nullable=False),
        sa.Column("statistic", sa.String(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("estimate_type", sa.String(), nullable=False),
        sa.Column("estimate", sa.Double(), nullable=True),
        sa.Column("ci_low", sa.Double(), nullable=True),
        sa.Column("ci_high", sa.Double(), nullable=True),
        sa.Column("ci_level", sa.Double(), nullable=True),
        sa.Column("se", sa.Double(), nullable=True),
        sa.Column("p_value", sa.Double(), nullable=True),
        sa.Column("p_relation", sa.String(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("locator", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=True),
        sa.CheckConstraint(f"metric IN ({METRICS})", name=op.f("ck_contrast_metric_vocabulary")),
        sa.CheckConstraint(
            f"normalisation_category IN ({NORMALISATIONS})",
            name=op.f("ck_contrast_normalisation_category_vocabulary"),
        ),
        sa.CheckConstraint(f"statistic IN ({STATISTICS})", name=op.f("ck_contrast_statistic_vocabulary")),
        sa.CheckConstraint(f"phase IN ({PHASES})", name=op.f("ck_contrast_phase_vocabulary")),
        sa.CheckConstraint(
            f"estimate_type IN ({ESTIMATE_TYPES})", name=op.f("ck_contrast_estimate_type_vocabulary")
        ),
        sa.CheckConstraint("p_relation IN ('=', '<', '>')", name=op.f("ck_contrast_p_relation_vocabulary")),
        sa.CheckConstraint("p_value >= 0 AND p_value <= 1", name=op.f("ck_contrast_p_value_range")),
        sa.CheckConstraint("(p_value IS NULL) = (p_relation IS NULL)", name=op.f("ck_contrast_p_has_relation")),
        sa.CheckConstraint("se > 0", name=op.f("ck_contrast_se_positive")),
        sa.CheckConstraint(
            "ci_low <= estimate AND estimate <= ci_high", name=op.f("ck_contrast_ci_holds_estimate")
        ),
        sa.CheckConstraint("(ci_low IS NULL) = (ci_high IS NULL)", name=op.f("ck_contrast_ci_both_ends")),
        sa.CheckConstraint(
            "estimate IS NOT NULL OR ci_low IS NOT NULL", name=op.f("ck_contrast_estimate_or_interval")
        ),
        sa.CheckConstraint("ci_level > 0 AND ci_level < 1", name=op.f("ck_contrast_ci_level_range")),
        sa.CheckConstraint("n > 0", name=op.f("ck_contrast_n_positive")),
        sa.CheckConstraint("condition_a_id <> condition_b_id", name=op.f("ck_contrast_two_conditions")),
        sa.ForeignKeyConstraint(["condition_a_id"], ["condition.id"], name=op.f("fk_contrast_condition_a_id_condition")),
        sa.ForeignKeyConstraint(["condition_b_id"], ["condition.id"], name=op.f("fk_contrast_condition_b_id_condition")),
        sa.ForeignKeyConstraint(["muscle_id"], ["muscle.id"], name=op.f("fk_contrast_muscle_id_muscle")),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_contrast_source_id_source")),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_contrast_study_id_study")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contrast")),
    )  # fmt: skip
    for column in ("study_id", "condition_a_id", "condition_b_id", "muscle_id", "source_id"):
        op.create_index(op.f(f"ix_contrast_{column}"), "contrast", [column])
    op.create_table(
        "reading_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(length=80), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("showed", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.CheckConstraint(f"showed IN ({SHOWED})", name=op.f("ck_reading_log_showed_vocabulary")),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_reading_log_study_id_study")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_log")),
    )
    op.create_index(op.f("ix_reading_log_study_id"), "reading_log", ["study_id"])
    op.create_table(
        "extraction_check",
        sa.Column("study_id", sa.String(length=80), nullable=False),
        sa.Column("fields_compared", sa.Integer(), nullable=False),
        sa.Column("fields_differed", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.CheckConstraint(
            "fields_differed <= fields_compared", name=op.f("ck_extraction_check_differed_within_compared")
        ),
        sa.CheckConstraint(
            "fields_compared >= 0 AND fields_differed >= 0", name=op.f("ck_extraction_check_counts_non_negative")
        ),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_extraction_check_study_id_study")),
        sa.PrimaryKeyConstraint("study_id", name=op.f("pk_extraction_check")),
    )  # fmt: skip
    op.create_table(
        "extraction_difference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(length=80), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("first", sa.String(), nullable=True),
        sa.Column("second", sa.String(), nullable=True),
        sa.Column("resolved", sa.String(), nullable=True),
        sa.Column("how", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["extraction_check.study_id"],
            name=op.f("fk_extraction_difference_study_id_extraction_check"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extraction_difference")),
    )  # fmt: skip
    op.create_index(op.f("ix_extraction_difference_study_id"), "extraction_difference", ["study_id"])
    _measurement_up()


def downgrade() -> None:
    """Undo: back to revision 0011"""
    sqlite = op.get_bind().dialect.name == "sqlite"
    view = _meta_extract_sql() if sqlite else None
    if sqlite:
        op.execute("DROP VIEW meta_extract")
    with op.batch_alter_table("measurement") as batch_op:
        batch_op.drop_constraint(op.f("ck_measurement_side_vocabulary"), type_="check")
        batch_op.drop_constraint(op.f("ck_measurement_dispersion_type_vocabulary"), type_="check")
        batch_op.create_check_constraint(op.f("ck_measurement_dispersion_type_vocabulary"), OLD_DISPERSION)
        for column in ("side", "approximate", "dispersion_locator"):
            batch_op.drop_column(column)
    if view is not None:
        op.execute(view)
    op.drop_index(op.f("ix_extraction_difference_study_id"), "extraction_difference")
    op.drop_table("extraction_difference")
    op.drop_table("extraction_check")
    op.drop_index(op.f("ix_reading_log_study_id"), "reading_log")
    op.drop_table("reading_log")
    for column in ("source_id", "muscle_id", "condition_b_id", "condition_a_id", "study_id"):
        op.drop_index(op.f(f"ix_contrast_{column}"), "contrast")
    op.drop_table("contrast")
