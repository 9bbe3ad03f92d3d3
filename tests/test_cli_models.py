"""``clues train``, ``clues eval classify|dedup`` and ``clues embedder train``
as an operator runs them: real subprocesses, JSON out, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_classify_model import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]


def clues(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "from clue_pipeline.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=600,
    )


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {"CLUES_VAR": str(tmp_path / "var"), "HF_HUB_OFFLINE": "1"}


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for label, texts in EXAMPLES.items():
            for text in texts:
                handle.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")
    return path


def test_train_then_eval_classify_json(home: dict[str, str], labelled: Path) -> None:
    trained = clues("train", "--data", str(labelled), env=home)
    assert trained.returncode == 0, trained.stderr
    assert "saved to" in trained.stdout
    assert (Path(home["CLUES_VAR"]) / "models" / "classifier" / "metadata.json").exists()
    done = clues("eval", "classify", "--data", str(labelled), "--json", env=home)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert set(metrics) == {
        "macro_f1",
        "accuracy",
        "per_class",
        "relevant_recall",
        "noise_removed",
        "n",
    }
    assert all(
        set(row) == {"precision", "recall", "f1", "support"}
        for row in metrics["per_class"].values()
    )
    assert metrics["n"] == sum(len(v) for v in EXAMPLES.values())
    assert metrics["macro_f1"] > 0.8  # its own training data: a sanity check of the wiring


def test_eval_classify_without_a_model_uses_the_catalogue(
    home: dict[str, str], labelled: Path
) -> None:
    done = clues("eval", "classify", "--data", str(labelled), "--json", env=home)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert 0.0 <= metrics["macro_f1"] <= 1.0 and metrics["relevant_recall"] > 0.5


def test_bad_labelled_file_is_one_line(home: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "路灯不亮"}\n', encoding="utf-8")
    done = clues("train", "--data", str(bad), env=home)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {bad}:1: expected an object with string fields 'text' and 'label'; "
        "hint: label is a category name or 'noise'"
    ]


def test_embedder_train_then_eval_dedup(
    home: dict[str, str], labelled: Path, tmp_path: Path
) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "sentence1\tsentence2\tlabel\n"
        "幸福路的路灯坏了\t幸福路路灯不亮了\t1\n"
        "幸福路的路灯坏了\t工地晚上施工太吵\t0\n"
        "公司拖欠工资三个月\t老板三个月没发工资\t1\n"
        "公司拖欠工资三个月\t河里有死鱼发臭\t0\n",
        encoding="utf-8",
    )
    missing = clues("eval", "dedup", "--pairs", str(pairs), "--json", env=home)
    assert missing.returncode == 2 and "clues embedder train" in missing.stderr
    trained = clues("embedder", "train", "--data", str(labelled), env=home)
    assert trained.returncode == 0, trained.stderr
    done = clues("eval", "dedup", "--pairs", str(pairs), "--json", env=home)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["n"] == 4 and metrics["roc_auc"] == 1.0
    # exactly the keys the issue names: roc_auc, precision/recall/f1 at both thresholds, n
    assert set(metrics) == {"roc_auc", "precision", "recall", "f1", "auto_merge", "suggest", "n"}
    for name in ("auto_merge", "suggest"):
        assert set(metrics[name]) == {"precision", "recall", "f1"}
    assert metrics["precision"] == metrics["auto_merge"]["precision"]
