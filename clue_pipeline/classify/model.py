"""The relevance filter and category classifier: training, prediction, save and load.

Both parts are linear SVMs over character n-gram TF-IDF (see `features`); the relevance filter
also sees the post's form (length bucket, question marks: see `form`) and learns from each
longer post's opening as a short example of its own (see `openings`), so that a complaint said
in one line is not taken for noise; the category classifier also reads what the catalogue says
of the post (its best item per category: see `catalogue_view`). Scores are made
meaningful from out-of-fold decisions on the training data: relevance by Platt scaling, category
by temperature-scaled softmax. The category decisions also get one additive offset per class,
fitted on the same out-of-fold decisions to maximise macro-F1 (a coarse grid with a pull towards
0, see `_fit_offsets`): a linear SVM's one-vs-rest margins are not balanced across classes.
The relevance threshold is the out-of-fold decision value that keeps `RELEVANCE_TARGET_RECALL`
of the real issues, because a missed complaint costs more than a noisy post reaching the queue.
The target is set above the recall that must hold on unseen posts (0.99): a threshold read off
out-of-fold decisions keeps a little less on new data.
"""

from __future__ import annotations

import json
import logging
import platform
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import joblib
import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from clue_pipeline.classify.catalogue_view import CatalogueView
from clue_pipeline.classify.features import PostFeatures
from clue_pipeline.classify.form import form_features
from clue_pipeline.classify.openings import opening
from clue_pipeline.classify.text import normalise
from clue_pipeline.errors import ClueError

log = logging.getLogger(__name__)

NOISE_LABEL = "noise"
RELEVANCE_TARGET_RECALL = 0.996
#: how much the form columns count next to the (unit-length) n-gram blocks
FORM_WEIGHT = 0.5
FOLDS = 5
TERMS_PER_PREDICTION = 5
FORMAT = "clue-pipeline/classifier"
#: grid of the per-class decision offsets, and how much macro-F1 one unit of squared offset costs
OFFSET_STEP = 0.02
OFFSET_LIMIT = 0.5
OFFSET_PULL = 0.5
OFFSET_PASSES = 3
# 2: the relevance filter also reads form features; 3: title view, per-class category offsets;
# 4: the category classifier also reads the catalogue (see `catalogue_view`)
FORMAT_VERSION = 4
#: an opening counts this much next to a whole post in the relevance filter
OPENING_WEIGHT = 0.5
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"


@dataclass
class Prediction:
    """What the model says about one post.

    `category` is None when the post is judged noise; `scores` still holds the probability of
    every category and `confidence` that of the best one. `terms` are the n-grams that weighed
    most for the best category.
    """

    relevant: bool
    relevance_score: float
    category: str | None
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)


def _svm() -> LinearSVC:
    return LinearSVC(C=1.0, class_weight="balanced", random_state=0)


def _folds(labels: np.ndarray) -> StratifiedKFold | None:
    smallest = min(Counter(labels.tolist()).values())
    n_splits = min(FOLDS, smallest)
    return StratifiedKFold(n_splits, shuffle=True, random_state=0) if n_splits >= 2 else None


def _out_of_fold(
    features: Any,
    labels: np.ndarray,
    source: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray | None:
    """Decision values of each training row from a model that did not see it. ``source``:
    the post each row was read from (an opening and its post fall in one fold); the folds
    are drawn over the rows that are their own source."""
    if source is None:
        source = np.arange(len(labels))
    posts = np.flatnonzero(source == np.arange(len(labels)))
    splitter = _folds(labels[posts])
    if splitter is None:
        return None
    fold_of_post = np.zeros(len(labels), dtype=int)
    for fold, (_, test_posts) in enumerate(splitter.split(np.zeros(len(posts)), labels[posts])):
        fold_of_post[posts[test_posts]] = fold
    fold_of_row = fold_of_post[source]
    oof: np.ndarray | None = None
    for fold in range(splitter.get_n_splits()):
        train_rows, test_rows = (
            np.flatnonzero(fold_of_row != fold),
            np.flatnonzero(fold_of_row == fold),
        )
        decision = (
            _svm()
            .fit(
                features[train_rows],
                labels[train_rows],
                sample_weight=None if weights is None else weights[train_rows],
            )
            .decision_function(features[test_rows])
        )
        if oof is None:
            oof = np.zeros((len(labels),) + decision.shape[1:])
        oof[test_rows] = decision
    return oof


def _category_input(
    x: Any, texts: Sequence[str], catalogue_view: CatalogueView | None
) -> sp.csr_matrix:
    """What the category classifier reads: the n-gram features plus, when the model has one,
    the catalogue's columns (appended, so that the n-grams keep their column numbers)."""
    if catalogue_view is None:
        return x
    return sp.hstack([x, catalogue_view.transform(texts)], format="csr")


def _relevance_input(x: Any, texts: Sequence[str]) -> sp.csr_matrix:
    """What the relevance filter reads: the n-gram features plus the form columns."""
    return sp.hstack([x, FORM_WEIGHT * form_features(texts)], format="csr")


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(decisions: np.ndarray, label_index: np.ndarray) -> float:
    def nll(log_t: float) -> float:
        p = _softmax(decisions / np.exp(log_t))
        return float(-np.log(p[np.arange(len(p)), label_index] + 1e-12).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-5.0, 3.0), method="bounded").x))


def _fit_offsets(decisions: np.ndarray, label_index: np.ndarray) -> np.ndarray:
    """Per-class offsets added to the decisions: coordinate ascent over a grid, a few passes,
    maximising macro-F1 - OFFSET_PULL * |offsets|^2 (among ties the offset nearest 0), centred."""
    n_classes = decisions.shape[1]
    grid = np.arange(-OFFSET_LIMIT, OFFSET_LIMIT + OFFSET_STEP / 2, OFFSET_STEP)
    grid = grid[np.argsort(np.abs(grid), kind="stable")]
    offsets = np.zeros(n_classes)

    def objective() -> float:
        predicted = (decisions + offsets).argmax(axis=1)
        return _macro_f1(label_index, predicted, n_classes) - OFFSET_PULL * float(offsets @ offsets)

    best = objective()
    for _ in range(OFFSET_PASSES):
        changed = False
        for c in range(n_classes):
            kept = offsets[c]
            for value in grid:
                offsets[c] = value
                score = objective()
                if score > best + 1e-12:
                    best, kept, changed = score, value, True
            offsets[c] = kept
        if not changed:
            break
    return offsets - offsets.mean()


def _check_records(records: Iterable[dict]) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise ClueError(f"training record {number}: expected an object with text and label")
        text, label = record.get("text"), record.get("label")
        if not isinstance(text, str) or not isinstance(label, str) or not label.strip():
            raise ClueError(
                f"training record {number}: needs a string 'text' and a non-empty string "
                f"'label' (a category name or '{NOISE_LABEL}'), got keys {sorted(record)}"
            )
        texts.append(normalise(text))
        labels.append(label.strip())
    return texts, labels


class ClassifierModel:
    """A fitted relevance filter plus category classifier. Build it with `train`."""

    def __init__(
        self,
        features: PostFeatures,
        category_svm: LinearSVC,
        category_offsets: np.ndarray,
        temperature: float,
        relevance_svm: LinearSVC | None,
        relevance_threshold: float,
        relevance_platt: tuple[float, float],
        metadata: dict[str, Any],
        catalogue_view: CatalogueView | None = None,
    ) -> None:
        self.features = features
        self.catalogue_view = catalogue_view
        self.category_svm = category_svm
        self.category_offsets = category_offsets
        self.temperature = temperature
        self.relevance_svm = relevance_svm
        self.relevance_threshold = relevance_threshold
        self.relevance_platt = relevance_platt
        self.metadata = metadata
        self._names: list[str] | None = None

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.category_svm.classes_]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        for number, text in enumerate(texts, start=1):
            if not isinstance(text, str):
                raise ClueError(f"text {number} to classify is {type(text).__name__}, not str")
        if not texts:
            return []
        normalised = [normalise(t) for t in texts]
        x = self.features.transform(normalised)
        decision = self.category_svm.decision_function(
            _category_input(x, normalised, self.catalogue_view)
        )
        if decision.ndim == 1:  # two classes: one column, positive for the second class
            decision = np.column_stack([-decision, decision])
        probabilities = _softmax((decision + self.category_offsets) / self.temperature)
        if self.relevance_svm is None:
            relevant = np.ones(len(texts), dtype=bool)
            relevance_scores = np.ones(len(texts))
        else:
            margin = self.relevance_svm.decision_function(_relevance_input(x, normalised))
            relevant = margin >= self.relevance_threshold
            a, b = self.relevance_platt
            relevance_scores = 1.0 / (1.0 + np.exp(-(a * margin + b)))
        labels = self.labels
        best = probabilities.argmax(axis=1)
        terms = self._terms(x, best)
        return [
            Prediction(
                relevant=bool(relevant[i]),
                relevance_score=float(relevance_scores[i]),
                category=labels[best[i]] if relevant[i] else None,
                confidence=float(probabilities[i, best[i]]),
                scores={label: float(p) for label, p in zip(labels, probabilities[i], strict=True)},
                terms=terms[i],
            )
            for i in range(len(texts))
        ]

    def _terms(self, x: Any, best: np.ndarray) -> list[list[str]]:
        """Per row, the n-grams with the largest positive weight x_j * coef[best, j]."""
        if self._names is None:
            self._names = self.features.feature_names()
            self._informative = np.array([any(ch.isalnum() for ch in g) for g in self._names])
        coef = self.category_svm.coef_
        if coef.shape[0] == 1:  # two classes: one row, positive for the second class
            coef = np.vstack([-coef[0], coef[0]])
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        contribution = x.data * coef[best[rows], x.indices]
        contribution[~self._informative[x.indices]] = 0.0
        terms: list[list[str]] = []
        for row in range(x.shape[0]):
            start, end = x.indptr[row], x.indptr[row + 1]
            values = contribution[start:end]
            top = np.argsort(values)[::-1][: 2 * TERMS_PER_PREDICTION]
            chosen: list[str] = []
            for position in top:
                if values[position] <= 0 or len(chosen) == TERMS_PER_PREDICTION:
                    break
                gram = self._names[x.indices[start + position]]
                if gram not in chosen:  # the whole, head and title views share n-grams
                    chosen.append(gram)
            terms.append(chosen)
        return terms

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, directory / MODEL_FILE, compress=3)
        (directory / METADATA_FILE).write_text(
            json.dumps(self.metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_names"] = None
        state.pop("_informative", None)
        return state

    @classmethod
    def load(cls, directory: Path) -> ClassifierModel:
        directory = Path(directory)
        hint = "hint: run `clues train --data FILE.jsonl` to build one"
        metadata_path, model_path = directory / METADATA_FILE, directory / MODEL_FILE
        if not directory.is_dir():
            raise ClueError(f"classifier model directory {directory} does not exist; {hint}")
        if not metadata_path.is_file() or not model_path.is_file():
            raise ClueError(
                f"classifier model directory {directory} lacks {METADATA_FILE} or {MODEL_FILE}; "
                f"{hint}"
            )
        try:
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ClueError(f"{metadata_path}: unreadable metadata ({exc}); {hint}") from exc
        if metadata.get("format") != FORMAT or metadata.get("format_version") != FORMAT_VERSION:
            raise ClueError(
                f"{metadata_path}: format {metadata.get('format')!r} version "
                f"{metadata.get('format_version')!r}, expected {FORMAT!r} version "
                f"{FORMAT_VERSION}; retrain the model ({hint})"
            )
        saved = str(metadata.get("versions", {}).get("scikit-learn", ""))
        if saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
            raise ClueError(
                f"{directory}: model saved with scikit-learn {saved or 'unknown'}, this is "
                f"{sklearn.__version__}; retrain the model ({hint})"
            )
        try:
            model = joblib.load(model_path)
        except Exception as exc:  # a corrupt or foreign pickle: report, do not crash
            raise ClueError(f"{model_path}: cannot load ({exc}); retrain the model") from exc
        if not isinstance(model, cls):
            raise ClueError(f"{model_path}: not a classifier model; retrain the model ({hint})")
        return model


def train(
    records: Iterable[dict],
    *,
    catalogue: CatalogueView | Literal["configured"] | None = "configured",
    progress: Callable[[str], None] | None = None,
) -> ClassifierModel:
    """Fit the relevance filter and the category classifier from labelled records.
    ``catalogue``: what the category classifier also reads (see `catalogue_view`); by default
    the configured catalogue file, None for the n-grams alone."""

    def say(message: str) -> None:
        log.info(message)
        if progress is not None:
            progress(message)

    texts, labels = _check_records(records)
    label_array = np.array(labels, dtype=object)
    is_noise = label_array == NOISE_LABEL
    categories = sorted(set(labels) - {NOISE_LABEL})
    if len(categories) < 2:
        raise ClueError(
            f"training data has {len(categories)} category label(s) besides '{NOISE_LABEL}' "
            f"({', '.join(categories) or 'none'}); at least 2 are needed"
        )

    say(f"building character n-gram features of {len(texts)} texts")
    features = PostFeatures().fit(texts)
    x = features.transform(texts)

    if catalogue == "configured":
        from clue_pipeline import settings

        catalogue = CatalogueView.from_file(str(settings.catalog_file()))
    category_rows = np.flatnonzero(~is_noise)
    if catalogue is not None:
        say(f"reading {len(category_rows)} texts against the catalogue {catalogue.source}")
    x_category = _category_input(x[category_rows], [texts[i] for i in category_rows], catalogue)
    y_category = label_array[category_rows].astype(str)
    say(f"cross-validating the category classifier on {len(category_rows)} texts")
    oof = _out_of_fold(x_category, y_category)
    category_svm = _svm().fit(x_category, y_category)
    classes = [str(c) for c in category_svm.classes_]
    offsets = np.zeros(len(classes))
    temperature, oof_macro_f1, oof_macro_f1_raw = 1.0, None, None
    if oof is not None:
        if oof.ndim == 1:  # two classes: the SVM gives one column for the second class
            oof = np.column_stack([-oof, oof])
        label_index = np.searchsorted(classes, y_category)
        oof_macro_f1_raw = _macro_f1(label_index, oof.argmax(axis=1), len(classes))
        offsets = _fit_offsets(oof, label_index)
        temperature = _fit_temperature(oof + offsets, label_index)
        oof_macro_f1 = _macro_f1(label_index, (oof + offsets).argmax(axis=1), len(classes))

    relevance: dict[str, Any]
    relevance_svm, threshold, platt = None, 0.0, (1.0, 0.0)
    if not is_noise.any():
        say("no 'noise' labels: relevance filter set to always relevant")
        relevance = {"mode": "always_relevant", "reason": "no 'noise' labels in training data"}
    else:
        # each longer post's opening is one more example of its label (see `openings`)
        cut = [(post, o) for post, text in enumerate(texts) if (o := opening(text)) is not None]
        row_texts = texts + [o for _, o in cut]
        source = np.concatenate([np.arange(len(texts)), np.array([p for p, _ in cut], dtype=int)])
        is_post = np.arange(len(source)) < len(texts)
        say(
            f"cross-validating the relevance filter on {len(texts)} texts and the openings "
            f"of {len(cut)} of them"
        )
        relevant_y = (~is_noise[source]).astype(int)
        x_relevance = _relevance_input(
            sp.vstack([x, features.transform([o for _, o in cut])], format="csr"), row_texts
        )
        weights = np.where(is_post, 1.0, OPENING_WEIGHT)
        scores = _out_of_fold(x_relevance, relevant_y, source, weights)
        relevance_svm = _svm().fit(x_relevance, relevant_y, sample_weight=weights)
        if scores is None:
            threshold = 0.0
            relevance = {"mode": "learned", "threshold_from": "svm default (too few examples)"}
        else:
            # the threshold keeps the target share of the whole posts: their openings are
            # examples to learn from, not what the recall is promised on
            kept_posts = scores[is_post & (relevant_y == 1)]
            threshold = float(np.quantile(kept_posts, 1 - RELEVANCE_TARGET_RECALL))
            calibrator = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), relevant_y)
            platt = (float(calibrator.coef_[0, 0]), float(calibrator.intercept_[0]))
            relevance = {
                "mode": "learned",
                "threshold_from": f"{FOLDS}-fold out-of-fold decisions",
                "target_recall": RELEVANCE_TARGET_RECALL,
                **_kept_shares(scores[is_post], relevant_y[is_post], threshold, ""),
                **_kept_shares(scores[~is_post], relevant_y[~is_post], threshold, "openings_"),
            }
        relevance["openings"] = len(cut)
        relevance["threshold"] = threshold

    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": classes,
        "noise_label": NOISE_LABEL,
        "training_size": len(texts),
        "label_counts": dict(sorted(Counter(labels).items())),
        "relevance": relevance,
        "category": {
            "temperature": temperature,
            "offsets": dict(zip(classes, (round(float(o), 4) for o in offsets), strict=True)),
            "oof_macro_f1": oof_macro_f1,
            "oof_macro_f1_without_offsets": oof_macro_f1_raw,
            "catalogue": None if catalogue is None else catalogue.source,
        },
        "features": (
            "char 1-3-gram TF-IDF (sublinear tf) of whole text + head view + title view; "
            "category also the catalogue's best item per category; "
            "relevance also length bucket + question marks, and the posts' openings as examples"
        ),
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "joblib": joblib.__version__,
        },
    }
    say("classifier trained")
    return ClassifierModel(
        features,
        category_svm,
        offsets,
        temperature,
        relevance_svm,
        threshold,
        platt,
        metadata,
        catalogue,
    )


def _kept_shares(
    scores: np.ndarray, relevant: np.ndarray, threshold: float, prefix: str
) -> dict[str, float]:
    """Out-of-fold ``oof_{prefix}relevant_recall`` and ``oof_{prefix}noise_removed``."""
    shares = {}
    if (relevant == 1).any():
        shares[f"oof_{prefix}relevant_recall"] = float((scores[relevant == 1] >= threshold).mean())
    if (relevant == 0).any():
        shares[f"oof_{prefix}noise_removed"] = float((scores[relevant == 0] < threshold).mean())
    return shares


def _macro_f1(gold: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    f1s = []
    for c in range(n_classes):
        tp = float(((gold == c) & (predicted == c)).sum())
        denominator = float((gold == c).sum() + (predicted == c).sum())
        f1s.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(f1s))
