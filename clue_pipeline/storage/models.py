"""Tables. The database is the source of truth; indexes beside it are caches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from clue_pipeline.storage.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
        bytes: LargeBinary,
    }


class Post(Base):
    """One public post from one platform, with its provenance."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_posts_platform_external_id"),
        Index("ix_posts_content_hash", "content_hash"),
        Index("ix_posts_processed_at", "processed_at"),
        Index("ix_posts_published_at", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(255))
    published_at: Mapped[datetime | None]
    likes: Mapped[int | None]
    comments: Mapped[int | None]
    reposts: Mapped[int | None]
    location_text: Mapped[str | None] = mapped_column(Text)
    media_urls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    # Set by processing (clue_pipeline); reset when the content changes.
    processed_at: Mapped[datetime | None]


class CrawlRun(Base):
    """One crawl of one platform: so that a silent collector is visible."""

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_platform_started", "platform", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # running | ok | partial (finished with errors) | failed | aborted
    status: Mapped[str] = mapped_column(String(16), default="running")
    pages: Mapped[int] = mapped_column(default=0)
    items: Mapped[int] = mapped_column(default=0)
    new_items: Mapped[int] = mapped_column(default=0)
    updated_items: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    error_samples: Mapped[list[Any]] = mapped_column(JSON, default=list)
    stop_reason: Mapped[str | None] = mapped_column(String(64))
    since: Mapped[datetime | None]
    pid: Mapped[int | None]


class PostAnalysis(Base):
    """What processing concluded about one post, with the reasons. Noise is
    kept here with its score and reason; nothing is deleted."""

    __tablename__ = "post_analyses"
    __table_args__ = (
        Index("ix_post_analyses_relevant", "relevant"),
        Index("ix_post_analyses_clue", "clue_id"),
        Index("ix_post_analyses_content_hash", "content_hash"),
    )

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="und")
    links: Mapped[list[Any]] = mapped_column(JSON, default=list)
    mentions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    relevant: Mapped[bool] = mapped_column(default=True)
    relevance_score: Mapped[float] = mapped_column(default=1.0)
    relevance_reason: Mapped[str] = mapped_column(Text, default="")
    # An analyst's overturn of the filter: True forces relevant, False noise.
    relevance_override: Mapped[bool | None]
    category: Mapped[str | None] = mapped_column(String(64))
    category_confidence: Mapped[float | None]
    item_code: Mapped[str | None] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(default=False)
    urgency_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    district: Mapped[str | None] = mapped_column(String(64))
    street: Mapped[str | None] = mapped_column(String(64))
    community: Mapped[str | None] = mapped_column(String(64))
    landmark: Mapped[str | None] = mapped_column(String(128))
    road: Mapped[str | None] = mapped_column(String(64))
    # the other city and county the post names, outside the gazetteer (Locate's region):
    # grouping tells two counties' posts apart by it
    region: Mapped[str | None] = mapped_column(String(64))
    clue_id: Mapped[int | None] = mapped_column(ForeignKey("clues.id"))
    why: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    analysed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Clue(Base):
    """A public-service problem: one or more posts that describe it."""

    __tablename__ = "clues"
    __table_args__ = (
        Index("ix_clues_state_priority", "state", "priority"),
        Index("ix_clues_category", "category"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    category: Mapped[str | None] = mapped_column(String(64))
    category_confidence: Mapped[float | None]
    item_code: Mapped[str | None] = mapped_column(String(32))
    item_name: Mapped[str | None] = mapped_column(String(128))
    department: Mapped[str | None] = mapped_column(String(128))
    urgent: Mapped[bool] = mapped_column(default=False)
    dispatch_tier: Mapped[str] = mapped_column(String(16), default="normal")
    district: Mapped[str | None] = mapped_column(String(64))
    street: Mapped[str | None] = mapped_column(String(64))
    community: Mapped[str | None] = mapped_column(String(64))
    landmark: Mapped[str | None] = mapped_column(String(128))
    road: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[float] = mapped_column(default=0.0)
    post_count: Mapped[int] = mapped_column(default=0)
    author_count: Mapped[int] = mapped_column(default=0)
    platform_count: Mapped[int] = mapped_column(default=0)
    engagement: Mapped[int] = mapped_column(default=0)
    first_post_at: Mapped[datetime | None]
    last_post_at: Mapped[datetime | None]
    why: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("clues.id"))
    # When its order was last resolved or closed: processing keeps attaching
    # posts for grouping.recurrence_days, supervision reads them as recurrence.
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Fields an analyst corrected ({field: {"value", "by", "at"}}): processing
    # leaves them as they are when it refreshes the clue.
    corrections: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    reject_note: Mapped[str | None] = mapped_column(Text)


class CluePost(Base):
    """A post's place in a clue: ``seed`` started it, ``exact`` has the same
    content hash, ``auto`` joined above auto_merge, ``suggested`` waits for an
    analyst to confirm."""

    __tablename__ = "clue_posts"
    __table_args__ = (
        UniqueConstraint("post_id", name="uq_clue_posts_post"),
        Index("ix_clue_posts_clue", "clue_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    membership: Mapped[str] = mapped_column(String(16), default="seed")
    similarity: Mapped[float | None]
    matched_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmbeddingCache(Base):
    """Vectors by content hash and model fingerprint: no text is embedded twice."""

    __tablename__ = "embedding_cache"

    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnalystLabel(Base):
    """An analyst's label for a post (a category name or ``noise``): the
    training data of ``clues train --from-decisions``."""

    __tablename__ = "analyst_labels"
    __table_args__ = (Index("ix_analyst_labels_post", "post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    label: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClueClaim(Base):
    """One analyst's claim on a clue, with a lease. At most one claim per clue
    is unreleased (a partial unique index); an expired one may be taken over."""

    __tablename__ = "clue_claims"
    __table_args__ = (
        Index(
            "uq_clue_claims_live",
            "clue_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
        Index("ix_clue_claims_analyst", "analyst"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id"))
    analyst: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    # released | verified | rejected | filed | merged | expired
    release_reason: Mapped[str | None] = mapped_column(String(16))


class AuditEvent(Base):
    """Who did what to a clue or an order, when, from which state to which."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_clue", "clue_id", "id"),
        Index("ix_audit_events_order", "order_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clue_id: Mapped[int | None] = mapped_column(ForeignKey("clues.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WorkOrder(Base):
    """The work order filed from a verified clue: routing, evidence, due times
    and what supervision found."""

    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("clue_id", name="uq_work_orders_clue"),
        Index("ix_work_orders_state", "state"),
        Index("ix_work_orders_department", "department"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id"))
    # filed | dispatched | in_progress | resolved | closed | reopened
    state: Mapped[str] = mapped_column(String(16), default="filed")
    category: Mapped[str | None] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(32))
    item_name: Mapped[str] = mapped_column(String(128))
    department: Mapped[str] = mapped_column(String(128))
    first_department: Mapped[str] = mapped_column(String(128))
    urgent: Mapped[bool] = mapped_column(default=False)
    dispatch_tier: Mapped[str] = mapped_column(String(16), default="normal")
    priority: Mapped[float] = mapped_column(default=0.0)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    district: Mapped[str | None] = mapped_column(String(64))
    street: Mapped[str | None] = mapped_column(String(64))
    community: Mapped[str | None] = mapped_column(String(64))
    landmark: Mapped[str | None] = mapped_column(String(128))
    road: Mapped[str | None] = mapped_column(String(64))
    # snapshots of the posts at filing: text, links, times, media
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    report_count: Mapped[int] = mapped_column(default=0)
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_days: Mapped[int] = mapped_column(default=1)
    dispatch_due_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    first_dispatched_at: Mapped[datetime | None]
    handle_due_at: Mapped[datetime]
    in_progress_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    resolution: Mapped[str] = mapped_column(Text, default="")
    # overdue_at: when supervision found the current deadline missed (cleared
    # when a new deadline is set); late: some deadline of this kind was missed.
    dispatch_overdue_at: Mapped[datetime | None]
    dispatch_late: Mapped[bool] = mapped_column(default=False)
    handle_overdue_at: Mapped[datetime | None]
    handle_late: Mapped[bool] = mapped_column(default=False)
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None]
    escalation_reason: Mapped[str] = mapped_column(Text, default="")
    return_count: Mapped[int] = mapped_column(default=0)
    recurrence_count: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[bool | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderNote(Base):
    """A note on an order: supervision (督办), progress, escalation, overdue,
    recurrence, return (退单)."""

    __tablename__ = "order_notes"
    __table_args__ = (Index("ix_order_notes_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    kind: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReturnVisit(Base):
    """The return visit (回访) made when an order is closed."""

    __tablename__ = "return_visits"
    __table_args__ = (Index("ix_return_visits_order", "order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    satisfied: Mapped[bool]
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class OrderRecurrence(Base):
    """A post that came after an order was resolved or closed and reopened it."""

    __tablename__ = "order_recurrences"
    __table_args__ = (UniqueConstraint("order_id", "post_id", name="uq_order_recurrences_post"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    episode: Mapped[int] = mapped_column(default=1)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who logs into the web UI: an analyst, a supervisor or an
    admin. Their name is the ``by`` of every workflow action they take."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("name", name="uq_users_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # analyst | supervisor | admin
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class WebSession(Base):
    """A login of the web UI. The cookie holds a random token; only its
    SHA-256 is stored. ``csrf_token`` guards the session's forms."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))


class ApiToken(Base):
    """A personal API token (``Authorization: Bearer ...``); only its SHA-256
    is stored, with the first characters to tell tokens apart."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_api_tokens_hash"),
        Index("ix_api_tokens_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
