"""Dedup figures of an embedder on labelled sentence pairs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from clue_pipeline.labelled_data import Pair
from clue_pipeline.processing.config import GroupingConfig


def pair_similarities(embedder, pairs: Sequence[Pair]) -> np.ndarray:  # noqa: ANN001
    left = embedder.encode([p.sentence1 for p in pairs])
    right = embedder.encode([p.sentence2 for p in pairs])
    return np.einsum("ij,ij->i", left, right)


def evaluate_pairs(
    embedder,  # noqa: ANN001
    pairs: Sequence[Pair],
    grouping: GroupingConfig,
    *,
    with_counts: bool = False,
    adjustments: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Exactly: ``roc_auc``; ``precision``, ``recall``, ``f1`` at ``auto_merge`` (top level)
    and under ``auto_merge`` and ``suggest`` for each threshold; ``n``. ``with_counts`` adds
    ``reached`` to each threshold: how many pairs reach it (with none, precision is
    undefined and reported as 0).

    A pair counts as predicted "same" when its cosine similarity reaches the threshold: what
    grouping does for two posts without place information. ``adjustments`` (one per pair)
    are added to the similarities first: the place adjustments grouping adds for posts whose
    places are known."""
    labels = np.array([p.label for p in pairs])
    sims = pair_similarities(embedder, pairs)
    if adjustments is not None:
        sims = sims + np.asarray(adjustments, dtype=sims.dtype)
    per_threshold = {}
    for name in ("auto_merge", "suggest"):
        predicted = sims >= getattr(grouping, name)
        precision, recall, f1, _ = precision_recall_fscore_support(
            labels, predicted, average="binary", zero_division=0
        )
        per_threshold[name] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
        }
        if with_counts:
            per_threshold[name]["reached"] = int(predicted.sum())
    return {
        "roc_auc": float(roc_auc_score(labels, sims)) if len(set(labels)) == 2 else None,
        **per_threshold["auto_merge"],
        "auto_merge": per_threshold["auto_merge"],
        "suggest": per_threshold["suggest"],
        "n": len(pairs),
    }
