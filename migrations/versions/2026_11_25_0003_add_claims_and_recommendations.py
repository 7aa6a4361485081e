"""Add the article's claims, their evidence and recommendations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 22:43:01.834879
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the article's claims, their evidence and recommendations"""
    op.create_table(
        "recommendation",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("advice", sa.String(), nullable=False),
        sa.Column("support", sa.String(), nullable=False),
        sa.Column("support_summary", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation")),
        sa.UniqueConstraint("position", name=op.f("uq_recommendation_position")),
    )
    op.create_table(
        "claim",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("paragraph", sa.Integer(), nullable=False),
        sa.Column("assertion", sa.String(), nullable=False),
        sa.Column("quoted_numbers", sa.String(), nullable=True),
        sa.Column("article_terms", sa.String(), nullable=True),
        sa.Column("study_id", sa.String(length=80), nullable=True),
        sa.Column("reads_as_mvc", sa.Boolean(), nullable=False),
        sa.Column("gaps", sa.String(), nullable=True),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("verdict_reason", sa.String(), nullable=False),
        sa.Column("verdict_basis", sa.String(), nullable=False),
        sa.CheckConstraint(
            "verdict IN ('supported', 'partly_supported', 'numbers_match', 'numbers_differ', 'metric_not_mvc', 'no_difference_reported', 'contradicted', 'different_muscle_or_task', 'not_verifiable', 'study_unidentified')",
            name=op.f("ck_claim_verdict_vocabulary"),
        ),
        sa.CheckConstraint(
            "verdict_basis IN ('computed', 'curated')", name=op.f("ck_claim_verdict_basis_vocabulary")
        ),
        sa.CheckConstraint("paragraph > 0", name=op.f("ck_claim_paragraph_positive")),
        sa.ForeignKeyConstraint(["study_id"], ["study.id"], name=op.f("fk_claim_study_id_study")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
        sa.UniqueConstraint("position", name=op.f("uq_claim_position")),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_verdict"), ["verdict"], unique=False)

    op.create_table(
        "claim_exercise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=80), nullable=False),
        sa.Column("exercise_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"], name=op.f("fk_claim_exercise_claim_id_claim")),
        sa.ForeignKeyConstraint(
            ["exercise_id"], ["exercise.id"], name=op.f("fk_claim_exercise_exercise_id_exercise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_exercise")),
        sa.UniqueConstraint("claim_id", "exercise_id", name=op.f("uq_claim_exercise_claim_id_exercise_id")),
    )
    with op.batch_alter_table("claim_exercise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_exercise_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_exercise_exercise_id"), ["exercise_id"], unique=False)

    op.create_table(
        "claim_muscle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=80), nullable=False),
        sa.Column("muscle_id", sa.String(length=80), nullable=False),
        sa.Column("article_term", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"], name=op.f("fk_claim_muscle_claim_id_claim")),
        sa.ForeignKeyConstraint(["muscle_id"], ["muscle.id"], name=op.f("fk_claim_muscle_muscle_id_muscle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_muscle")),
        sa.UniqueConstraint(
            "claim_id",
            "muscle_id",
            "article_term",
            name=op.f("uq_claim_muscle_claim_id_muscle_id_article_term"),
        ),
    )
    with op.batch_alter_table("claim_muscle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_muscle_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_muscle_muscle_id"), ["muscle_id"], unique=False)

    op.create_table(
        "recommendation_claim",
        sa.Column("recommendation_id", sa.String(length=80), nullable=False),
        sa.Column("claim_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_recommendation_claim_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_recommendation_claim_recommendation_id_recommendation"),
        ),
        sa.PrimaryKeyConstraint("recommendation_id", "claim_id", name=op.f("pk_recommendation_claim")),
    )
    with op.batch_alter_table("recommendation_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendation_claim_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=80), nullable=False),
        sa.Column("measurement_id", sa.Integer(), nullable=True),
        sa.Column("primary_measurement_id", sa.Integer(), nullable=True),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("asserted_direction", sa.String(), nullable=True),
        sa.Column("agreement", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.CheckConstraint(
            "agreement IN ('match', 'differs', 'unchecked', 'agrees', 'no_difference', 'disagrees', 'unclear')",
            name=op.f("ck_claim_evidence_agreement_vocabulary"),
        ),
        sa.CheckConstraint(
            "(measurement_id IS NULL) <> (finding_id IS NULL)", name=op.f("ck_claim_evidence_one_target")
        ),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"], name=op.f("fk_claim_evidence_claim_id_claim")),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["finding.id"], name=op.f("fk_claim_evidence_finding_id_finding")
        ),
        sa.ForeignKeyConstraint(
            ["measurement_id"], ["measurement.id"], name=op.f("fk_claim_evidence_measurement_id_measurement")
        ),
        sa.ForeignKeyConstraint(
            ["primary_measurement_id"],
            ["measurement.id"],
            name=op.f("fk_claim_evidence_primary_measurement_id_measurement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_evidence")),
    )
    with op.batch_alter_table("claim_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_evidence_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_evidence_finding_id"), ["finding_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_claim_evidence_measurement_id"), ["measurement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_claim_evidence_primary_measurement_id"), ["primary_measurement_id"], unique=False
        )


def downgrade() -> None:
    """Undo: Add the article's claims, their evidence and recommendations"""
    with op.batch_alter_table("claim_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_evidence_primary_measurement_id"))
        batch_op.drop_index(batch_op.f("ix_claim_evidence_measurement_id"))
        batch_op.drop_index(batch_op.f("ix_claim_evidence_finding_id"))
        batch_op.drop_index(batch_op.f("ix_claim_evidence_claim_id"))

    op.drop_table("claim_evidence")
    with op.batch_alter_table("recommendation_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_claim_claim_id"))

    op.drop_table("recommendation_claim")
    with op.batch_alter_table("claim_muscle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_muscle_muscle_id"))
        batch_op.drop_index(batch_op.f("ix_claim_muscle_claim_id"))

    op.drop_table("claim_muscle")
    with op.batch_alter_table("claim_exercise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_exercise_exercise_id"))
        batch_op.drop_index(batch_op.f("ix_claim_exercise_claim_id"))

    op.drop_table("claim_exercise")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_verdict"))
        batch_op.drop_index(batch_op.f("ix_claim_study_id"))

    op.drop_table("claim")
    op.drop_table("recommendation")
