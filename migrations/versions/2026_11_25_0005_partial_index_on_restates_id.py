"""Make the index on measurement.restates_id partial

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 23:45:00

Most measurements restate nothing. With a full index, SQLite chose it for
'restates_id IS NULL' (every canned query over primary values) and so walked nearly all of
measurement instead of using the muscle index. A partial index cannot answer IS NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Make the index on measurement.restates_id partial"""
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index("ix_measurement_restates_id")
        batch_op.create_index(
            "ix_measurement_restates_id",
            ["restates_id"],
            unique=False,
            sqlite_where=sa.text("restates_id IS NOT NULL"),
            postgresql_where=sa.text("restates_id IS NOT NULL"),
        )


def downgrade() -> None:
    """Undo: a full index on measurement.restates_id again"""
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index("ix_measurement_restates_id")
        batch_op.create_index("ix_measurement_restates_id", ["restates_id"], unique=False)
