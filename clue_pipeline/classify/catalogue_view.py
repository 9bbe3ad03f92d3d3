"""What the catalogue says of a post, as features of the category classifier.

The catalogue (`config/catalog.yaml`, built from the real matter taxonomy: category, item and
keyword names, three example posts per item) knows things the labelled posts do not: the
names of matters, the words residents use for them. Untrained, its best item alone puts a
board message in the right one of 7 categories 76 % of the time. Given to the SVM as one
column per catalogue category (the score of the category's best item, `log1p`, divided by the
post's best category's), it lifts the category macro-F1 on the real board data (5-fold CV,
two seeds: 0.896 -> 0.909 and 0.897 -> 0.904) where twelve other additions moved it by at
most 0.003 (README). The SVM learns how far to trust each column, so a category the board
never uses costs nothing.

The view keeps the catalogue text it was trained with: a model reads posts as it learnt to,
whatever the catalogue file says later (retrain after changing the catalogue to use the
change), and the file a model was trained with can be gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

#: the catalogue columns' weight next to the n-gram TF-IDF blocks (each of unit length)
CATALOGUE_WEIGHT = 0.1


class CatalogueView:
    """Per post, one column per catalogue category: how well its best item matches."""

    def __init__(self, catalogue_text: str, source: str, matcher: Any = None) -> None:
        """``matcher``: a `CatalogMatcher` of that text when the caller has one."""
        self.catalogue_text = catalogue_text
        self.source = source
        self._matcher = matcher
        self.category_names = list(self._get_matcher().category_names)

    @classmethod
    def from_file(cls, path: str) -> CatalogueView:
        from pathlib import Path

        from clue_pipeline.catalog import CatalogMatcher, load_catalog

        catalog = load_catalog(path)  # validated (one clear line when it is not), and cached
        return cls(Path(path).read_text(encoding="utf-8"), str(path), CatalogMatcher(catalog))

    def _get_matcher(self) -> Any:
        if self._matcher is None:
            from clue_pipeline.catalog.loader import parse_catalog
            from clue_pipeline.catalog.matcher import CatalogMatcher
            from clue_pipeline.errors import ClueError, ConfigError

            try:
                catalog = parse_catalog(self.catalogue_text, self.source)
            except ConfigError as exc:  # a catalogue this version no longer reads
                raise ClueError(
                    f"the classifier model's copy of the catalogue it was trained with "
                    f"({self.source}) no longer loads: {exc}; retrain the model (hint: "
                    "`clues train --data FILE.jsonl`)"
                ) from None
            self._matcher = CatalogMatcher(catalog)
        return self._matcher

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The weighted columns of ``texts`` (normalised post texts)."""
        if not texts:
            return sp.csr_matrix((0, len(self.category_names)))
        scores = np.log1p(self._get_matcher().category_scores(texts))
        best = scores.max(axis=1, keepdims=True)
        relative = np.divide(scores, best, out=np.zeros_like(scores), where=best > 0)
        return sp.csr_matrix(CATALOGUE_WEIGHT * relative)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_matcher"] = None  # rebuilt from the text on first use
        return state
