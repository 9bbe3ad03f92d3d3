"""index post_analyses.content_hash: the exact-duplicate lookup of every batch

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:30:00.000000
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post_analyses", schema=None) as batch_op:
        batch_op.create_index("ix_post_analyses_content_hash", ["content_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post_analyses", schema=None) as batch_op:
        batch_op.drop_index("ix_post_analyses_content_hash")
