"""processing: analyses, clues, embedding cache

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:26:19.796073
"""

import sqlalchemy as sa
from alembic import op

import clue_pipeline.storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("category_confidence", sa.Double(), nullable=True),
        sa.Column("item_code", sa.String(length=32), nullable=True),
        sa.Column("item_name", sa.String(length=128), nullable=True),
        sa.Column("department", sa.String(length=128), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("dispatch_tier", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("street", sa.String(length=64), nullable=True),
        sa.Column("community", sa.String(length=64), nullable=True),
        sa.Column("landmark", sa.String(length=128), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("priority", sa.Double(), nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.Column("author_count", sa.Integer(), nullable=False),
        sa.Column("platform_count", sa.Integer(), nullable=False),
        sa.Column("engagement", sa.Integer(), nullable=False),
        sa.Column(
            "first_post_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_post_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column(
            "closed_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["clues.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("clues", schema=None) as batch_op:
        batch_op.create_index("ix_clues_category", ["category"], unique=False)
        batch_op.create_index("ix_clues_state_priority", ["state", "priority"], unique=False)

    op.create_table(
        "embedding_cache",
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("model", "content_hash"),
    )
    op.create_table(
        "analyst_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "created_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("analyst_labels", schema=None) as batch_op:
        batch_op.create_index("ix_analyst_labels_post", ["post_id"], unique=False)

    op.create_table(
        "clue_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clue_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("membership", sa.String(length=16), nullable=False),
        sa.Column("similarity", sa.Double(), nullable=True),
        sa.Column("matched_post_id", sa.Integer(), nullable=True),
        sa.Column(
            "added_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["clue_id"],
            ["clues.id"],
        ),
        sa.ForeignKeyConstraint(
            ["matched_post_id"],
            ["posts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post_id", name="uq_clue_posts_post"),
    )
    with op.batch_alter_table("clue_posts", schema=None) as batch_op:
        batch_op.create_index("ix_clue_posts_clue", ["clue_id"], unique=False)

    op.create_table(
        "post_analyses",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("relevance_score", sa.Double(), nullable=False),
        sa.Column("relevance_reason", sa.Text(), nullable=False),
        sa.Column("relevance_override", sa.Boolean(), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("category_confidence", sa.Double(), nullable=True),
        sa.Column("item_code", sa.String(length=32), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("urgency_reasons", sa.JSON(), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("street", sa.String(length=64), nullable=True),
        sa.Column("community", sa.String(length=64), nullable=True),
        sa.Column("landmark", sa.String(length=128), nullable=True),
        sa.Column("clue_id", sa.Integer(), nullable=True),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.Column(
            "analysed_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["clue_id"],
            ["clues.id"],
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
        ),
        sa.PrimaryKeyConstraint("post_id"),
    )
    with op.batch_alter_table("post_analyses", schema=None) as batch_op:
        batch_op.create_index("ix_post_analyses_clue", ["clue_id"], unique=False)
        batch_op.create_index("ix_post_analyses_relevant", ["relevant"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post_analyses", schema=None) as batch_op:
        batch_op.drop_index("ix_post_analyses_relevant")
        batch_op.drop_index("ix_post_analyses_clue")

    op.drop_table("post_analyses")
    with op.batch_alter_table("clue_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_clue_posts_clue")

    op.drop_table("clue_posts")
    with op.batch_alter_table("analyst_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_analyst_labels_post")

    op.drop_table("analyst_labels")
    op.drop_table("embedding_cache")
    with op.batch_alter_table("clues", schema=None) as batch_op:
        batch_op.drop_index("ix_clues_state_priority")
        batch_op.drop_index("ix_clues_category")

    op.drop_table("clues")
