"""Figures of a classifier model on labelled records (what `clues eval classify` prints)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clue_pipeline.classify.model import NOISE_LABEL, ClassifierModel, _check_records


def evaluate(model: ClassifierModel, records: Iterable[dict]) -> dict[str, Any]:
    """Category figures over records whose gold label is not noise (a post the relevance filter
    dropped counts as predicted 'noise', so wrong); relevance figures over all records.

    Returns exactly: macro_f1, accuracy, per_class ({label: {precision, recall, f1, support}}),
    relevant_recall, noise_removed (None without noise records), n.
    """
    records = list(records)
    texts = [r.get("text") for r in records if isinstance(r, dict)]
    _, gold = _check_records(records)
    predictions = model.predict([str(t) for t in texts])
    predicted = [p.category if p.relevant else NOISE_LABEL for p in predictions]

    issue_rows = [i for i, g in enumerate(gold) if g != NOISE_LABEL]
    labels = sorted({gold[i] for i in issue_rows} | {predicted[i] for i in issue_rows})
    labels = [label for label in labels if label != NOISE_LABEL]
    per_class: dict[str, dict[str, float | int]] = {}
    for label in labels:
        tp = sum(1 for i in issue_rows if gold[i] == label and predicted[i] == label)
        gold_n = sum(1 for i in issue_rows if gold[i] == label)
        predicted_n = sum(1 for i in issue_rows if predicted[i] == label)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / gold_n if gold_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": gold_n}
    gold_labels = [label for label in per_class if per_class[label]["support"]]
    correct = sum(1 for i in issue_rows if gold[i] == predicted[i])
    noise_rows = [i for i, g in enumerate(gold) if g == NOISE_LABEL]
    return {
        "macro_f1": (
            sum(per_class[label]["f1"] for label in gold_labels) / len(gold_labels)
            if gold_labels
            else None
        ),
        "accuracy": correct / len(issue_rows) if issue_rows else None,
        "per_class": per_class,
        "relevant_recall": (
            sum(1 for i in issue_rows if predictions[i].relevant) / len(issue_rows)
            if issue_rows
            else None
        ),
        "noise_removed": (
            sum(1 for i in noise_rows if not predictions[i].relevant) / len(noise_rows)
            if noise_rows
            else None
        ),
        "n": len(records),
    }
