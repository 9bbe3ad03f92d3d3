"""Several embedders as one vector: weighted concatenation of normalised parts.

For parts u_i, v_i (unit vectors) and weights w_i (summing to 1) the combined vector is
concat(sqrt(w_i) * u_i). It has unit length, and the inner product of two combined vectors
is sum(w_i * cos_i): the weighted mix of the parts' cosines, in one vector FAISS indexes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from clue_pipeline.embedding.base import TextEmbedder, l2_normalise


class CombinedEmbedder:
    def __init__(self, parts: Sequence[tuple[TextEmbedder, float]]) -> None:
        if not parts:
            raise ValueError("a combined embedder needs at least one part")
        weights = np.array([float(w) for _, w in parts], dtype=np.float64)
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"part weights must be >= 0 with a positive sum, got {weights}")
        self._weights = weights / weights.sum()
        self._parts = [embedder for embedder, _ in parts]
        self._dim = sum(p.dim for p in self._parts)
        digest = hashlib.sha256()
        for part, weight in zip(self._parts, self._weights, strict=True):
            digest.update(f"{part.fingerprint}@{weight:.6f};".encode())
        self._fingerprint = "combined:" + digest.hexdigest()[:16]

    @property
    def parts(self) -> list[tuple[TextEmbedder, float]]:
        return list(zip(self._parts, self._weights.tolist(), strict=True))

    @property
    def name(self) -> str:
        inner = " + ".join(f"{w:.2f}*{p.name}" for p, w in self.parts)
        return f"combined[{inner}]"

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        blocks = [
            np.sqrt(weight, dtype=np.float32) * part.encode(texts, batch_size=batch_size)
            for part, weight in self.parts
        ]
        # parts are unit vectors, so the result already has unit length; renormalise
        # anyway so a zero part (empty text) cannot leave a shorter vector
        return l2_normalise(np.concatenate(blocks, axis=1))
