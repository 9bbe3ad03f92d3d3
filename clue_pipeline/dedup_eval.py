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


def evaluate_pairs(embedder, pairs: Sequence[Pair], grouping: GroupingConfig) -> dict[str, Any]:  # noqa: ANN001
    """``roc_auc`` and precision, recall, f1 at ``auto_merge`` and ``suggest``."""
    labels = np.array([p.label for p in pairs])
    sims = pair_similarities(embedder, pairs)
    result: dict[str, Any] = {
        "roc_auc": float(roc_auc_score(labels, sims)) if len(set(labels)) == 2 else None,
        "n": len(pairs),
        "embedder": embedder.name,
    }
    for name in ("auto_merge", "suggest"):
        threshold = getattr(grouping, name)
        predicted = sims >= threshold
        precision, recall, f1, _ = precision_recall_fscore_support(
            labels, predicted, average="binary", zero_division=0
        )
        result[name] = {
            "threshold": threshold,
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "predicted_same": int(predicted.sum()),
        }
    result["precision"] = result["auto_merge"]["precision"]
    result["recall"] = result["auto_merge"]["recall"]
    result["f1"] = result["auto_merge"]["f1"]
    return result
