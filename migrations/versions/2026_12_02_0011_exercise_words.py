"""Words for exercises: the exercise_synonym table and the exercise_term view

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:30:00

People ask about 'hip thrust' and 'squat', not barbell_hip_thrust and back_squat: the pages and
canned queries look exercise words up in exercise_term as they look muscle words up in
muscle_term.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXERCISE_TERM = """CREATE VIEW exercise_term AS
WITH named (term, exercise_id, priority) AS (
    SELECT id, id, 1 FROM exercise
    UNION ALL
    SELECT lower(term), exercise_id, 2 FROM exercise_synonym
    UNION ALL
    SELECT lower(name), id, 3 FROM exercise
    UNION ALL
    SELECT replace(id, '_', ' '), id, 4 FROM exercise
)
SELECT DISTINCT n.term AS term, n.exercise_id AS exercise_id FROM named n
WHERE n.priority = (SELECT min(o.priority) FROM named o WHERE o.term = n.term)
"""


def upgrade() -> None:
    """Add exercise_synonym and exercise_term"""
    op.create_table(
        "exercise_synonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(), nullable=False),
        sa.Column("exercise_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"], ["exercise.id"], name=op.f("fk_exercise_synonym_exercise_id_exercise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_synonym")),
        sa.UniqueConstraint("term", "exercise_id", name=op.f("uq_exercise_synonym_term_exercise_id")),
    )
    op.create_index(op.f("ix_exercise_synonym_exercise_id"), "exercise_synonym", ["exercise_id"])
    op.create_index(op.f("ix_exercise_synonym_term"), "exercise_synonym", ["term"])
    op.execute(EXERCISE_TERM)


def downgrade() -> None:
    """Drop exercise_term and exercise_synonym"""
    op.execute("DROP VIEW exercise_term")
    op.drop_index(op.f("ix_exercise_synonym_term"), "exercise_synonym")
    op.drop_index(op.f("ix_exercise_synonym_exercise_id"), "exercise_synonym")
    op.drop_table("exercise_synonym")
