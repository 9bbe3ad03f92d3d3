"""Figures of a classifier model on labelled records (what `clues eval classify` prints)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    per_class, macro_f1, accuracy = label_figures(
        [gold[i] for i in issue_rows], [predicted[i] for i in issue_rows], ignore=NOISE_LABEL
    )
    noise_rows = [i for i, g in enumerate(gold) if g == NOISE_LABEL]
    return {
        "macro_f1": macro_f1,
        "accuracy": accuracy,
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


def label_figures(
    gold: Sequence[str], predicted: Sequence[str | None], ignore: str | None = None
) -> tuple[dict[str, dict[str, float | int]], float | None, float | None]:
    """Per-label precision, recall, F1 and support, the macro-F1 over the labels that occur
    in ``gold`` and the accuracy. Every label of either side has a row except ``ignore``
    (a prediction that says "none of them": noise, no department), which is always wrong."""
    labels = sorted((set(gold) | {p for p in predicted if p is not None}) - {ignore})
    pairs = list(zip(gold, predicted, strict=True))
    per_class: dict[str, dict[str, float | int]] = {}
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        gold_n = sum(1 for g, _ in pairs if g == label)
        predicted_n = sum(1 for _, p in pairs if p == label)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / gold_n if gold_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": gold_n}
    gold_labels = [label for label in per_class if per_class[label]["support"]]
    macro_f1 = (
        sum(per_class[label]["f1"] for label in gold_labels) / len(gold_labels)
        if gold_labels
        else None
    )
    correct = sum(1 for g, p in pairs if g == p and g != ignore)
    return per_class, macro_f1, (correct / len(gold) if gold else None)
