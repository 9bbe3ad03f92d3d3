"""Embed with a cache keyed by content hash and model fingerprint."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from clue_pipeline.embedding.base import TextEmbedder
from clue_pipeline.storage.models import EmbeddingCache
from clue_pipeline.storage.types import utcnow


def cached_vectors(
    session: Session, model: str, hashes: Sequence[str], dim: int
) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    unique = list(dict.fromkeys(hashes))
    for start in range(0, len(unique), 900):
        chunk = unique[start : start + 900]
        rows = session.execute(
            select(EmbeddingCache.content_hash, EmbeddingCache.vector).where(
                EmbeddingCache.model == model, EmbeddingCache.content_hash.in_(chunk)
            )
        )
        for digest, blob in rows:
            vector = np.frombuffer(blob, dtype=np.float32)
            if vector.shape[0] == dim:
                found[digest] = vector
    return found


def embed_with_cache(
    session: Session, embedder: TextEmbedder, hashes: Sequence[str], texts: Sequence[str]
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (row i for texts[i]) and how many were computed
    now; the rest came from the cache. New vectors are stored."""
    model = embedder.fingerprint[:64]
    found = cached_vectors(session, model, hashes, embedder.dim)
    missing: dict[str, str] = {}
    for digest, text in zip(hashes, texts, strict=True):
        if digest not in found and digest not in missing:
            missing[digest] = text
    if missing:
        vectors = np.ascontiguousarray(embedder.encode(list(missing.values())), dtype=np.float32)
        rows = []
        now = utcnow()
        for digest, vector in zip(missing, vectors, strict=True):
            found[digest] = vector
            rows.append(
                {
                    "model": model,
                    "content_hash": digest,
                    "vector": vector.tobytes(),
                    "created_at": now,
                }
            )
        session.execute(insert(EmbeddingCache.__table__), rows)  # one executemany
    matrix = np.vstack([found[d] for d in hashes]) if hashes else np.zeros((0, embedder.dim))
    return matrix.astype(np.float32, copy=False), len(missing)


def prune_embedding_cache(session: Session, model: str) -> int:
    """Delete the cached vectors of every other embedder than ``model``: once the index is
    rebuilt with a new embedder (retrained, reconfigured), nothing reads them, and each
    embedder's vectors of 100,000 posts take about 200 MB. Returns how many were deleted."""
    result = session.execute(delete(EmbeddingCache).where(EmbeddingCache.model != model))
    return int(result.rowcount or 0)
