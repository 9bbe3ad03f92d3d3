"""The grouping thresholds of the configured embedder, chosen on dev pairs, checked on test.

    .venv/bin/python bench/dedup_thresholds.py [--models DIR] [--target 0.925]

Scores the same dev / test splits of the real pair files as bench/similarity_eval.py (by
hash of sentence1: train 50 %, dev 20 %, test 30 %; dev and test pairs sharing a sentence
with train dropped) with the embedder `config/processing.yaml` configures, exactly as
`clues eval dedup` scores pairs. The models are read from ``--models`` (a directory with
the parts the configuration names, e.g. the ``--model-dir`` of bench/similarity_eval.py,
which trains them on the train split only), else from the installation's ``var/models``.

Prints precision / recall at a grid of thresholds on each split, then ``auto_merge`` (the
lowest threshold with dev precision >= ``--target``) and ``suggest`` (the F1-best on dev),
with what they give on the test pairs. Reads ../shared/data (or $CLUES_SHARED_DATA); never
copies it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from similarity_eval import (  # noqa: E402
    PAIR_FILES,
    prf,
    read_pairs,
    shared_data,
    split_pairs,
    threshold_for_f1,
    threshold_for_precision,
)

GRID = (0.70, 0.80, 0.90, 0.917, 0.925, 0.93, 0.94, 0.95)


def _link_models(models: Path) -> Path:
    """A var directory whose ``models`` are those of ``models`` (linked, not copied)."""
    var = Path(tempfile.mkdtemp(prefix="clues-thresholds-"))
    (var / "models").mkdir()
    for part in models.iterdir():
        (var / "models" / part.name).symlink_to(part.resolve())
    return var


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, help="directory of the trained parts")
    parser.add_argument("--target", type=float, default=0.925, help="dev precision for auto_merge")
    args = parser.parse_args(argv)
    data = shared_data()
    if not data.is_dir():
        print(f"real data {data} absent: set CLUES_SHARED_DATA", file=sys.stderr)
        return 2
    if args.models:
        os.environ["CLUES_VAR"] = str(_link_models(args.models))

    from clue_pipeline.dedup_eval import pair_similarities
    from clue_pipeline.labelled_data import Pair
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext

    config = load_processing_config()
    embedder = ProcessingContext.load(config).embedder
    print(f"embedder: {embedder.name}")
    print(f"configured: auto_merge {config.grouping.auto_merge}, suggest {config.grouping.suggest}")
    scores: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, file in PAIR_FILES.items():
        splits = split_pairs(read_pairs(data / file))
        for part in ("dev", "test"):
            s = splits[part]
            pairs = [Pair(a, b, int(y)) for a, b, y in zip(s.a, s.b, s.label, strict=True)]
            scores[f"{name}-{part}"] = (pair_similarities(embedder, pairs), s.label)

    print("\nprecision / recall at each threshold (-: no pair reaches it)")
    print(f"{'threshold':<12}" + "".join(f"{key:>16}" for key in scores))
    for t in GRID:
        cells = []
        for sims, labels in scores.values():
            if not (sims >= t).any():
                cells.append(f"{'-':>16}")
                continue
            p, r, _ = prf(sims, labels, t)
            cells.append(f"{p:>9.3f} /{r:.2f}")
        print(f"{t:<12.3f}" + "".join(cells))

    dev = [key for key in scores if key.endswith("-dev")]
    dev_sims = np.concatenate([scores[k][0] for k in dev])
    dev_labels = np.concatenate([scores[k][1] for k in dev])
    chosen = {
        "auto_merge": threshold_for_precision(dev_sims, dev_labels, args.target),
        "suggest": threshold_for_f1(dev_sims, dev_labels),
    }
    print(f"\nchosen on dev (auto_merge: precision >= {args.target}; suggest: F1-best)")
    for name, t in chosen.items():
        figures = []
        for key in (k for k in scores if k.endswith("-test")):
            sims, labels = scores[key]
            p, r, f = prf(sims, labels, t)
            figures.append(f"{key} precision {p:.3f} recall {r:.3f} f1 {f:.3f}")
        print(f"  {name} {t:.3f}: " + "; ".join(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
