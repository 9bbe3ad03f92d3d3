"""post_analyses.region and clues.region: the other city and county a post names outside the
gazetteer (Locate), used by grouping to tell two counties' posts apart

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post_analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=64), nullable=True))
    with op.batch_alter_table("clues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clues", schema=None) as batch_op:
        batch_op.drop_column("region")
    with op.batch_alter_table("post_analyses", schema=None) as batch_op:
        batch_op.drop_column("region")
