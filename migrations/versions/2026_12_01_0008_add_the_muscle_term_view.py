"""Add the muscle_term view: every word for a muscle, with the muscles it covers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00

The canned queries each carried a 15-line copy of the same lookup (id, then synonym, then name;
a whole muscle covers its regions, a group its muscles). One view now holds it; the queries
join it by term.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MUSCLE_TERM = """CREATE VIEW muscle_term AS
WITH named (term, muscle_id, priority) AS (
    SELECT id, id, 1 FROM muscle
    UNION ALL
    SELECT lower(term), muscle_id, 2 FROM muscle_synonym
    UNION ALL
    SELECT lower(name), id, 3 FROM muscle WHERE region IS NULL
),
best AS (
    SELECT DISTINCT n.term, n.muscle_id FROM named n
    WHERE n.priority = (SELECT min(o.priority) FROM named o WHERE o.term = n.term)
)
SELECT b.term AS term, mu.id AS muscle_id, b.muscle_id AS named_muscle_id
FROM best b
JOIN muscle c ON c.id = b.muscle_id
JOIN muscle mu
  ON mu.id = c.id
  OR (c.region IS NULL AND mu.name = c.name)
  OR (c.id = c.muscle_group AND mu.muscle_group = c.id)
"""


def upgrade() -> None:
    """Add the muscle_term view"""
    op.execute(MUSCLE_TERM)


def downgrade() -> None:
    """Drop the muscle_term view"""
    op.execute("DROP VIEW muscle_term")
