"""post_analyses.road, clues.road and work_orders.road: the road a post names (Locate), used by
grouping and carried to the clue and its order

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post_analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("road", sa.String(length=64), nullable=True))
    with op.batch_alter_table("clues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("road", sa.String(length=64), nullable=True))
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("road", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("road")
    with op.batch_alter_table("clues", schema=None) as batch_op:
        batch_op.drop_column("road")
    with op.batch_alter_table("post_analyses", schema=None) as batch_op:
        batch_op.drop_column("road")
