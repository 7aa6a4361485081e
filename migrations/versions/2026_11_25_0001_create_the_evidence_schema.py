"""Create the evidence schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 22:33:40.716889
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the evidence schema"""
    op.create_table(
        "build_info",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_build_info")),
    )
    op.create_table(
        "exercise",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("pattern", sa.String(), nullable=False),
        sa.CheckConstraint(
            "pattern IN ('squat', 'lunge', 'hinge', 'bridge', 'isolation')",
            name=op.f("ck_exercise_pattern_vocabulary"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise")),
    )
    op.create_table(
        "muscle",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("muscle_group", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_muscle")),
    )
    with op.batch_alter_table("muscle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_muscle_muscle_group"), ["muscle_group"], unique=False)

    op.create_table(
        "study",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("citation", sa.String(), nullable=False),
        sa.Column("authors", sa.String(), nullable=True),
        sa.Column("first_author", sa.String(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("journal", sa.String(), nullable=True),
        sa.Column("volume", sa.String(), nullable=True),
        sa.Column("issue", sa.String(), nullable=True),
        sa.Column("pages", sa.String(), nullable=True),
        sa.Column("doi", sa.String(), nullable=True),
        sa.Column("pmid", sa.String(), nullable=True),
        sa.Column("design", sa.String(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(), nullable=True),
        sa.Column("training_status", sa.String(), nullable=True),
        sa.Column("population", sa.String(), nullable=True),
        sa.Column("identification", sa.String(), nullable=False),
        sa.Column("identification_note", sa.String(), nullable=True),
        sa.Column("cited_as", sa.String(), nullable=True),
        sa.CheckConstraint(
            "identification IN ('verified', 'probable', 'unverified')",
            name=op.f("ck_study_identification_vocabulary"),
        ),
        sa.CheckConstraint(
            "sex IN ('female', 'male', 'mixed', 'not_reported')", name=op.f("ck_study_sex_vocabulary")
        ),
        sa.CheckConstraint("n > 0", name=op.f("ck_study_n_positive")),
        sa.CheckConstraint("year BETWEEN 1900 AND 2100", name=op.f("ck_study_year_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study")),
        sa.UniqueConstraint("doi", name=op.f("uq_study_doi")),
        sa.UniqueConstraint("pmid", name=op.f("uq_study_pmid")),
    )
    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_study_year"), ["year"], unique=False)

    op.create_table(
        "condition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("exercise_id", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("load", sa.String(), nullable=True),
        sa.Column("load_pct_1rm", sa.Double(), nullable=True),
        sa.Column("load_kg", sa.Double(), nullable=True),
        sa.Column("depth", sa.String(), nullable=True),
        sa.Column("knee_angle_deg", sa.Double(), nullable=True),
        sa.Column("stance", sa.String(), nullable=True),
        sa.Column("cue", sa.String(), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.CheckConstraint("knee_angle_deg BETWEEN 0 AND 180", name=op.f("ck_condition_knee_angle_range")),
        sa.CheckConstraint("load_kg >= 0", name=op.f("ck_condition_load_kg_non_negative")),
        sa.CheckConstraint(
            "load_pct_1rm > 0 AND load_pct_1rm <= 200", name=op.f("ck_condition_load_pct_1rm_range")
        ),
        sa.ForeignKeyConstraint(
            ["exercise_id"], ["exercise.id"], name=op.f("fk_condition_exercise_id_exercise")
        ),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_condition_study_id_study")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition")),
        sa.UniqueConstraint("study_id", "key", name=op.f("uq_condition_study_id_key")),
    )
    with op.batch_alter_table("condition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_condition_exercise_id"), ["exercise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_condition_study_id"), ["study_id"], unique=False)

    op.create_table(
        "muscle_synonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(), nullable=False),
        sa.Column("muscle_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('canonical', 'abbreviation', 'anatomical', 'lay', 'mistranslation')",
            name=op.f("ck_muscle_synonym_kind_vocabulary"),
        ),
        sa.ForeignKeyConstraint(
            ["muscle_id"], ["muscle.id"], name=op.f("fk_muscle_synonym_muscle_id_muscle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_muscle_synonym")),
        sa.UniqueConstraint("term", "muscle_id", name=op.f("uq_muscle_synonym_term_muscle_id")),
    )
    with op.batch_alter_table("muscle_synonym", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_muscle_synonym_muscle_id"), ["muscle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_muscle_synonym_term"), ["term"], unique=False)

    op.create_table(
        "source",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("citation", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("study_id", sa.String(length=80), nullable=True),
        sa.CheckConstraint(
            "kind IN ('primary', 'review', 'article')", name=op.f("ck_source_kind_vocabulary")
        ),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_source_study_id_study")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
    )
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_study_id"), ["study_id"], unique=False)

    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(length=80), nullable=False),
        sa.Column("condition_a_id", sa.Integer(), nullable=False),
        sa.Column("condition_b_id", sa.Integer(), nullable=True),
        sa.Column("muscle_id", sa.String(length=80), nullable=False),
        sa.Column("muscle_b_id", sa.String(length=80), nullable=True),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("statistic", sa.String(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("size", sa.Double(), nullable=True),
        sa.Column("size_type", sa.String(), nullable=True),
        sa.Column("p_value", sa.Double(), nullable=True),
        sa.Column("p_relation", sa.String(), nullable=True),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("locator", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=True),
        sa.CheckConstraint(
            "direction IN ('a_greater', 'b_greater', 'no_difference', 'different', 'increases', 'decreases', 'mixed')",
            name=op.f("ck_finding_direction_vocabulary"),
        ),
        sa.CheckConstraint(
            "metric IN ('emg_amplitude', 'emg_share_of_sum', 'relative_muscular_effort', 'joint_moment', 'joint_work', 'other')",
            name=op.f("ck_finding_metric_vocabulary"),
        ),
        sa.CheckConstraint("p_relation IN ('=', '<', '>')", name=op.f("ck_finding_p_relation_vocabulary")),
        sa.CheckConstraint(
            "phase IN ('whole', 'concentric', 'eccentric', 'isometric', 'upper_range', 'lower_range', 'not_reported')",
            name=op.f("ck_finding_phase_vocabulary"),
        ),
        sa.CheckConstraint(
            "size_type IN ('percent_difference', 'mean_difference', 'effect_size_d', 'ratio', 'other')",
            name=op.f("ck_finding_size_type_vocabulary"),
        ),
        sa.CheckConstraint(
            "statistic IN ('mean', 'peak', 'median', 'integrated', 'other')",
            name=op.f("ck_finding_statistic_vocabulary"),
        ),
        sa.CheckConstraint(
            "(size IS NULL) OR (size_type IS NOT NULL)", name=op.f("ck_finding_size_has_type")
        ),
        sa.CheckConstraint(
            "condition_b_id IS NULL OR muscle_b_id IS NULL", name=op.f("ck_finding_one_contrast_at_a_time")
        ),
        sa.CheckConstraint("p_value >= 0 AND p_value <= 1", name=op.f("ck_finding_p_value_range")),
        sa.ForeignKeyConstraint(
            ["condition_a_id"], ["condition.id"], name=op.f("fk_finding_condition_a_id_condition")
        ),
        sa.ForeignKeyConstraint(
            ["condition_b_id"], ["condition.id"], name=op.f("fk_finding_condition_b_id_condition")
        ),
        sa.ForeignKeyConstraint(["muscle_b_id"], ["muscle.id"], name=op.f("fk_finding_muscle_b_id_muscle")),
        sa.ForeignKeyConstraint(["muscle_id"], ["muscle.id"], name=op.f("fk_finding_muscle_id_muscle")),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_finding_source_id_source")),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_finding_study_id_study")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
    )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_condition_a_id"), ["condition_a_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_condition_b_id"), ["condition_b_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_muscle_b_id"), ["muscle_b_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_muscle_id"), ["muscle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_study_id"), ["study_id"], unique=False)

    op.create_table(
        "measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("muscle_id", sa.String(length=80), nullable=False),
        sa.Column("muscle_label", sa.String(), nullable=True),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=True),
        sa.Column("normalisation", sa.String(), nullable=True),
        sa.Column("normalisation_category", sa.String(), nullable=False),
        sa.Column("electrode", sa.String(), nullable=False),
        sa.Column("statistic", sa.String(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("dispersion", sa.Double(), nullable=True),
        sa.Column("dispersion_type", sa.String(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("locator", sa.String(), nullable=False),
        sa.Column("restates_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.CheckConstraint(
            "NOT metric IN ('emg_amplitude', 'emg_share_of_sum', 'relative_muscular_effort') OR value >= 0",
            name=op.f("ck_measurement_value_non_negative"),
        ),
        sa.CheckConstraint(
            "dispersion_type IN ('sd', 'se', 'iqr', 'ci95', 'range')",
            name=op.f("ck_measurement_dispersion_type_vocabulary"),
        ),
        sa.CheckConstraint(
            "electrode IN ('surface', 'fine_wire', 'not_reported')",
            name=op.f("ck_measurement_electrode_vocabulary"),
        ),
        sa.CheckConstraint(
            "metric <> 'emg_share_of_sum' OR value <= 100", name=op.f("ck_measurement_share_at_most_100")
        ),
        sa.CheckConstraint(
            "metric IN ('emg_amplitude', 'emg_share_of_sum') OR normalisation_category = 'not_applicable'",
            name=op.f("ck_measurement_normalisation_only_for_emg"),
        ),
        sa.CheckConstraint(
            "metric IN ('emg_amplitude', 'emg_share_of_sum', 'relative_muscular_effort', 'joint_moment', 'joint_work', 'other')",
            name=op.f("ck_measurement_metric_vocabulary"),
        ),
        sa.CheckConstraint(
            "normalisation_category IN ('mvc_same_task', 'mvc_standardised_isometric', 'submaximal_reference', 'task_peak_or_mean', 'not_normalised', 'not_reported', 'not_applicable')",
            name=op.f("ck_measurement_normalisation_category_vocabulary"),
        ),
        sa.CheckConstraint(
            "phase IN ('whole', 'concentric', 'eccentric', 'isometric', 'upper_range', 'lower_range', 'not_reported')",
            name=op.f("ck_measurement_phase_vocabulary"),
        ),
        sa.CheckConstraint(
            "statistic IN ('mean', 'peak', 'median', 'integrated', 'other')",
            name=op.f("ck_measurement_statistic_vocabulary"),
        ),
        sa.CheckConstraint(
            "(dispersion IS NULL) = (dispersion_type IS NULL)",
            name=op.f("ck_measurement_dispersion_has_type"),
        ),
        sa.CheckConstraint("dispersion >= 0", name=op.f("ck_measurement_dispersion_non_negative")),
        sa.CheckConstraint("n > 0", name=op.f("ck_measurement_n_positive")),
        sa.ForeignKeyConstraint(
            ["condition_id"], ["condition.id"], name=op.f("fk_measurement_condition_id_condition")
        ),
        sa.ForeignKeyConstraint(["muscle_id"], ["muscle.id"], name=op.f("fk_measurement_muscle_id_muscle")),
        sa.ForeignKeyConstraint(
            ["restates_id"], ["measurement.id"], name=op.f("fk_measurement_restates_id_measurement")
        ),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_measurement_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurement")),
    )
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measurement_condition_id"), ["condition_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_measurement_muscle_id_metric"), ["muscle_id", "metric"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_measurement_restates_id"), ["restates_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_measurement_source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    """Undo: Create the evidence schema"""
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurement_source_id"))
        batch_op.drop_index(batch_op.f("ix_measurement_restates_id"))
        batch_op.drop_index(batch_op.f("ix_measurement_muscle_id_metric"))
        batch_op.drop_index(batch_op.f("ix_measurement_condition_id"))

    op.drop_table("measurement")
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_study_id"))
        batch_op.drop_index(batch_op.f("ix_finding_source_id"))
        batch_op.drop_index(batch_op.f("ix_finding_muscle_id"))
        batch_op.drop_index(batch_op.f("ix_finding_muscle_b_id"))
        batch_op.drop_index(batch_op.f("ix_finding_condition_b_id"))
        batch_op.drop_index(batch_op.f("ix_finding_condition_a_id"))

    op.drop_table("finding")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_study_id"))

    op.drop_table("source")
    with op.batch_alter_table("muscle_synonym", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_muscle_synonym_term"))
        batch_op.drop_index(batch_op.f("ix_muscle_synonym_muscle_id"))

    op.drop_table("muscle_synonym")
    with op.batch_alter_table("condition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_condition_study_id"))
        batch_op.drop_index(batch_op.f("ix_condition_exercise_id"))

    op.drop_table("condition")
    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_study_year"))

    op.drop_table("study")
    with op.batch_alter_table("muscle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_muscle_muscle_group"))

    op.drop_table("muscle")
    op.drop_table("exercise")
    op.drop_table("build_info")
