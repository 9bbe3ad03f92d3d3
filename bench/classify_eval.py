"""Held-out (stratified 80/20) and repeated stratified k-fold CV figures (mean ± sd over all
folds of all repeats) of the relevance filter and category classifier on the real data in
../shared/data (or $CLUES_SHARED_DATA).

    .venv/bin/python bench/classify_eval.py [--folds 5] [--repeats 1] [--only FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from sklearn.model_selection import StratifiedKFold, train_test_split

from clue_pipeline.classify import train
from clue_pipeline.classify.metrics import evaluate
from clue_pipeline.classify.model import NOISE_LABEL
from clue_pipeline.classify.openings import opening
from clue_pipeline.classify.text import normalise

FIGURES = ("macro_f1", "accuracy", "relevant_recall", "noise_removed")
#: the same on the openings of the held-out posts (short posts: see classify/openings.py)
OPENING_FIGURES = ("openings_kept", "noise_openings_removed")


def shared_data() -> Path:
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    return Path(os.environ.get("CLUES_SHARED_DATA", default))


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def one_split(train_records: list[dict], test_records: list[dict]) -> dict:
    started = time.perf_counter()
    model = train(train_records)
    train_s = time.perf_counter() - started
    texts = [r["text"] for r in test_records]
    model.predict(texts[:10])  # first call builds the n-gram name table used by `terms`
    started = time.perf_counter()
    model.predict(texts)
    per_s = len(texts) / (time.perf_counter() - started)
    figures = evaluate(model, test_records)
    return {
        **{k: figures[k] for k in FIGURES},
        **opening_figures(model, test_records),
        "train_s": train_s,
        "predict_per_s": per_s,
    }


def opening_figures(model, test_records: list[dict]) -> dict:
    """Share of the held-out complaints' openings kept, and of the noise's openings removed."""
    cut = [(r["label"] != NOISE_LABEL, opening(normalise(r["text"]))) for r in test_records]
    cut = [(relevant, text) for relevant, text in cut if text is not None]
    kept = [p.relevant for p in model.predict([text for _, text in cut])]
    complaints = [k for (relevant, _), k in zip(cut, kept, strict=True) if relevant]
    noise = [not k for (relevant, _), k in zip(cut, kept, strict=True) if not relevant]
    return {
        "openings_kept": sum(complaints) / len(complaints) if complaints else None,
        "noise_openings_removed": sum(noise) / len(noise) if noise else None,
    }


def show(name: str, runs: list[dict]) -> None:
    parts = []
    for key in (*FIGURES, *OPENING_FIGURES, "train_s", "predict_per_s"):
        values = [r[key] for r in runs if r[key] is not None]
        if not values:
            parts.append(f"{key}=n/a")
        elif len(values) == 1:
            parts.append(f"{key}={values[0]:.4f}")
        else:
            parts.append(f"{key}={statistics.mean(values):.4f}±{statistics.stdev(values):.4f}")
    print(f"{name}: " + "  ".join(parts), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1, help="CV repeats, seeds 0, 1, ...")
    parser.add_argument("--only", help="measure only this file of the real data")
    args = parser.parse_args()
    data = shared_data()
    if not data.is_dir():
        print(f"real data {data} absent: nothing to measure", file=sys.stderr)
        return 1
    for file in ("messages_labelled_dev.jsonl", "relevance_dev.jsonl"):
        if args.only and file != args.only:
            continue
        records = read(data / file)
        labels = [r["label"] for r in records]
        train_part, test_part = train_test_split(
            records, test_size=0.2, stratify=labels, random_state=0
        )
        show(f"{file} held-out 80/20", [one_split(train_part, test_part)])
        runs = []
        for seed in range(args.repeats):
            folds = StratifiedKFold(args.folds, shuffle=True, random_state=seed)
            runs += [
                one_split([records[i] for i in tr], [records[i] for i in te])
                for tr, te in folds.split(records, labels)
            ]
        show(f"{file} {args.repeats}x{args.folds}-fold CV", runs)
        lowest = {
            k: min(r[k] for r in runs)
            for k in (*FIGURES, *OPENING_FIGURES)
            if runs[0][k] is not None
        }
        print(f"{file} lowest fold: " + "  ".join(f"{k}={v:.4f}" for k, v in lowest.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
