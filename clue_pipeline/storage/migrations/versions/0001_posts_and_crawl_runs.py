"""posts and crawl runs

Revision ID: 0001
Revises:
Create Date: 2026-11-23 19:23:18.130029
"""

import sqlalchemy as sa
from alembic import op

import clue_pipeline.storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column(
            "started_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "finished_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("new_items", sa.Integer(), nullable=False),
        sa.Column("updated_items", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("error_samples", sa.JSON(), nullable=False),
        sa.Column("stop_reason", sa.String(length=64), nullable=True),
        sa.Column("since", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crawl_runs_platform_started", ["platform", "started_at"], unique=False
        )

    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column(
            "published_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Integer(), nullable=True),
        sa.Column("reposts", sa.Integer(), nullable=True),
        sa.Column("location_text", sa.Text(), nullable=True),
        sa.Column("media_urls", sa.JSON(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "first_seen_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "fetched_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column(
            "processed_at", clue_pipeline.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "external_id", name="uq_posts_platform_external_id"),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index("ix_posts_content_hash", ["content_hash"], unique=False)
        batch_op.create_index("ix_posts_processed_at", ["processed_at"], unique=False)
        batch_op.create_index("ix_posts_published_at", ["published_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_published_at")
        batch_op.drop_index("ix_posts_processed_at")
        batch_op.drop_index("ix_posts_content_hash")

    op.drop_table("posts")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_crawl_runs_platform_started")

    op.drop_table("crawl_runs")
