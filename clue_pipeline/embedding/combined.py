"""Several embedders as one vector: weighted concatenation of normalised parts.

For parts u_i, v_i (unit vectors) and weights w_i (summing to 1) the combined vector is
concat(sqrt(w_i) * u_i). It has unit length, and the inner product of two combined vectors
is sum(w_i * cos_i): the weighted mix of the parts' cosines, in one vector FAISS indexes.

Length-adaptive weights (optional): a part may have a second weight for long texts. A text
of ``n`` characters then gets, per part, the weight interpolated linearly between the short
weight (``n <= short_chars``) and the long weight (``n >= long_chars``), renormalised to sum
1. Each text carries its own weights, so two texts x, y score
sum(sqrt(w_i(x) * w_i(y)) * cos_i): symmetric, at most 1, still a plain inner product of
unit vectors (a valid FAISS metric), and the weighted mix above whenever both texts fall in
the same length class. Short paraphrases can lean on one part, long complaints on another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from clue_pipeline.embedding.base import TextEmbedder, l2_normalise


class CombinedEmbedder:
    def __init__(
        self,
        parts: Sequence[tuple[TextEmbedder, float]],
        *,
        long_weights: Sequence[float] | None = None,
        length_range: tuple[int, int] = (20, 60),
    ) -> None:
        if not parts:
            raise ValueError("a combined embedder needs at least one part")
        self._weights = _normalised([float(w) for _, w in parts], "part weights")
        self._long = (
            None
            if long_weights is None
            else _normalised([float(w) for w in long_weights], "long weights")
        )
        if self._long is not None and len(self._long) != len(self._weights):
            raise ValueError(
                f"{len(self._long)} long weights for {len(self._weights)} parts; give one each"
            )
        short, long = (int(length_range[0]), int(length_range[1]))
        if not 0 <= short < long:
            raise ValueError(f"length_range must be 0 <= short < long, got {length_range}")
        self.length_range = (short, long)
        self._parts = [embedder for embedder, _ in parts]
        self._dim = sum(p.dim for p in self._parts)
        digest = hashlib.sha256()
        for part, weight in zip(self._parts, self._weights, strict=True):
            digest.update(f"{part.fingerprint}@{weight:.6f};".encode())
        if self._long is not None:
            digest.update(f"long{self._long.round(6).tolist()}@{self.length_range}".encode())
        self._fingerprint = "combined:" + digest.hexdigest()[:16]

    @property
    def parts(self) -> list[tuple[TextEmbedder, float]]:
        return list(zip(self._parts, self._weights.tolist(), strict=True))

    @property
    def long_weights(self) -> list[float] | None:
        return None if self._long is None else self._long.tolist()

    @property
    def name(self) -> str:
        inner = " + ".join(f"{w:.2f}*{p.name}" for p, w in self.parts)
        if self._long is not None:
            low, high = self.length_range
            longs = "/".join(f"{w:.2f}" for w in self._long)
            inner += f"; from {low} to {high} chars: {longs}"
        return f"combined[{inner}]"

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def text_weights(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), parts) weights of each part for each text (rows sum to 1)."""
        if self._long is None:
            return np.tile(self._weights, (len(texts), 1))
        low, high = self.length_range
        lengths = np.array([len(t) for t in texts], dtype=np.float64)
        share = np.clip((lengths - low) / (high - low), 0.0, 1.0)[:, None]
        mixed = (1.0 - share) * self._weights[None, :] + share * self._long[None, :]
        return mixed / mixed.sum(axis=1, keepdims=True)

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        texts = list(texts)
        scale = np.sqrt(self.text_weights(texts)).astype(np.float32)
        blocks = [
            scale[:, i : i + 1] * part.encode(texts, batch_size=batch_size)
            for i, part in enumerate(self._parts)
        ]
        # parts are unit vectors, so the result already has unit length; renormalise
        # anyway so a zero part (empty text) cannot leave a shorter vector
        return l2_normalise(np.concatenate(blocks, axis=1))


def _normalised(weights: list[float], what: str) -> np.ndarray:
    array = np.array(weights, dtype=np.float64)
    if (array < 0).any() or array.sum() <= 0:
        raise ValueError(f"{what} must be >= 0 with a positive sum, got {array}")
    return array / array.sum()
