"""Zero-training matcher: rank catalogue items for a text from the catalogue
alone. Terms are the items' keywords and names (full weight), their
subcategory's keywords and name (half weight) and their category's keywords
and name (a fifth). Scoring is BM25-like: a term weighs more the fewer items
carry it and the longer it is; repeats saturate. One pass over the text finds
every occurrence of every term (overlaps included) by a two-character prefix
table. When no term occurs, character bigrams of the item texts rank instead,
at a lower score."""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from clue_pipeline.catalog.models import OTHER, Catalog, Category, Item, Subcategory

ITEM_WEIGHT = 1.0
SUBCATEGORY_WEIGHT = 0.5
CATEGORY_WEIGHT = 0.2
BIGRAM_SCALE = 0.3  # bigram evidence is weaker than a whole keyword
K1 = 1.2  # term-frequency saturation
B = 0.25  # item document length normalisation


@dataclass(frozen=True)
class ItemMatch:
    code: str
    item: Item
    category: str
    subcategory: str
    department: str
    score: float
    matched_terms: tuple[str, ...]


def normalise(text: str) -> str:
    """Full-width to half-width and lower case, so ＰＭ２.５ meets pm2.5."""
    return unicodedata.normalize("NFKC", text).lower()


def _length_bonus(term: str) -> float:
    return min(1.6, max(0.7, 1.0 + 0.15 * (len(term) - 2)))


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _bigrams(text: str) -> list[str]:
    return [
        text[i : i + 2] for i in range(len(text) - 1) if _is_cjk(text[i]) and _is_cjk(text[i + 1])
    ]


class CatalogMatcher:
    """Rank catalogue items for a text. Build once per catalogue; ``match`` is
    thread-safe (read-only state)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._places: list[tuple[Category, Subcategory, Item]] = catalog.all_items()
        n_items = len(self._places)
        weights: list[dict[str, float]] = []
        for category, sub, item in self._places:
            doc: dict[str, float] = {}

            def put(terms: list[str], weight: float, doc: dict[str, float] = doc) -> None:
                for term in terms:
                    term = normalise(term)
                    if term and term != OTHER:
                        doc[term] = max(doc.get(term, 0.0), weight)

            put([category.name, *category.keywords], CATEGORY_WEIGHT)
            put([sub.name, *sub.keywords], SUBCATEGORY_WEIGHT)
            put([item.name, *item.keywords], ITEM_WEIGHT)
            weights.append(doc)
        df: dict[str, int] = defaultdict(int)
        for doc in weights:
            for term in doc:
                df[term] += 1
        lengths = [sum(doc.values()) for doc in weights]
        average = sum(lengths) / n_items
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, doc in enumerate(weights):
            norm = 1 - B + B * lengths[index] / average
            for term, weight in doc.items():
                self._postings[term].append((index, weight / norm))
        self._factor = {
            term: math.log(1 + (n_items - df[term] + 0.5) / (df[term] + 0.5)) * _length_bonus(term)
            for term in self._postings
        }
        self._single = {t for t in self._postings if len(t) == 1}
        self._prefix: dict[str, tuple[int, ...]] = {}
        by_prefix: dict[str, set[int]] = defaultdict(set)
        for term in self._postings:
            if len(term) >= 2:
                by_prefix[term[:2]].add(len(term))
        self._prefix = {p: tuple(sorted(lengths_)) for p, lengths_ in by_prefix.items()}
        self._bigram_index = self._build_bigram_index()

    # ------------------------------------------------------------------ terms
    def find_terms(self, text: str) -> dict[str, int]:
        """Every catalogue term occurring in ``text`` with its count."""
        text = normalise(text)
        found: dict[str, int] = defaultdict(int)
        prefix, postings, single = self._prefix, self._postings, self._single
        for i in range(len(text)):
            if text[i] in single:
                found[text[i]] += 1
            lengths = prefix.get(text[i : i + 2])
            if lengths is None:
                continue
            for length in lengths:
                candidate = text[i : i + length]
                if len(candidate) < length:
                    break
                if candidate in postings:
                    found[candidate] += 1
        return dict(found)

    # ---------------------------------------------------------------- ranking
    def match(
        self,
        text: str,
        top_k: int = 5,
        categories: list[str] | None = None,
        found: dict[str, int] | None = None,
    ) -> list[ItemMatch]:
        """The ``top_k`` best items for ``text``, best first; optionally only
        items of the named ``categories``. Empty when nothing matches at all.
        ``found``: ``find_terms(text)`` when the caller has it already."""
        allowed = self._allowed(categories)
        found = self.find_terms(text) if found is None else found
        scores, terms_of = self._keyword_scores(found, allowed)
        if not scores:
            scores, terms_of = self._bigram_scores(text, allowed)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
        return [self._result(index, score, terms_of[index]) for index, score in ranked]

    def match_within(
        self, text: str, category: str, found: dict[str, int] | None = None
    ) -> ItemMatch:
        """The best item inside ``category`` (decided elsewhere, e.g. by a
        trained model); the category's general 其他 item at score 0 when the
        text says nothing more specific."""
        best = self.match(text, top_k=1, categories=[category], found=found)
        if best:
            return best[0]
        fallback = self.catalog.category(category).fallback_item()
        index = next(i for i, (_, _, item) in enumerate(self._places) if item is fallback)
        return self._result(index, 0.0, ())

    def rank_categories(
        self, text: str, categories: list[str] | None = None
    ) -> list[tuple[str, float]]:
        """Categories ranked by the score of their best item."""
        best: dict[str, float] = {}
        for found in self.match(text, top_k=len(self._places), categories=categories):
            best.setdefault(found.category, found.score)
        return sorted(best.items(), key=lambda kv: -kv[1])

    # --------------------------------------------------------------- internal
    def _allowed(self, categories: list[str] | None) -> set[int] | None:
        if categories is None:
            return None
        known = {c.name for c in self.catalog.categories}
        unknown = [c for c in categories if c not in known]
        if unknown:
            raise KeyError(f"unknown categories {unknown}; known: {sorted(known)}")
        wanted = set(categories)
        return {i for i, (c, _, _) in enumerate(self._places) if c.name in wanted}

    def _keyword_scores(
        self, found: dict[str, int], allowed: set[int] | None
    ) -> tuple[dict[int, float], dict[int, list[str]]]:
        scores: dict[int, float] = defaultdict(float)
        terms_of: dict[int, list[str]] = defaultdict(list)
        for term, count in found.items():
            factor = self._factor[term] * count * (K1 + 1) / (count + K1)
            for index, weight in self._postings[term]:
                if allowed is not None and index not in allowed:
                    continue
                scores[index] += factor * weight
                terms_of[index].append(term)
        return scores, terms_of

    def _build_bigram_index(self) -> dict[str, list[tuple[int, float]]]:
        docs = []
        for _category, sub, item in self._places:
            words = [item.name, *item.keywords, item.description, sub.name]
            docs.append(set(_bigrams(normalise(" ".join(w for w in words if w != OTHER)))))
        df: dict[str, int] = defaultdict(int)
        for doc in docs:
            for gram in doc:
                df[gram] += 1
        n_items = len(docs)
        average = sum(len(d) for d in docs) / n_items
        index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            norm = 1 - B + B * len(doc) / average
            for gram in doc:
                idf = math.log(1 + (n_items - df[gram] + 0.5) / (df[gram] + 0.5))
                index[gram].append((i, idf / norm))
        return dict(index)

    def _bigram_scores(
        self, text: str, allowed: set[int] | None
    ) -> tuple[dict[int, float], dict[int, list[str]]]:
        scores: dict[int, float] = defaultdict(float)
        terms_of: dict[int, list[str]] = defaultdict(list)
        for gram in set(_bigrams(normalise(text))):
            for index, weight in self._bigram_index.get(gram, ()):
                if allowed is not None and index not in allowed:
                    continue
                scores[index] += weight * BIGRAM_SCALE
                terms_of[index].append(gram)
        return scores, terms_of

    def _result(self, index: int, score: float, terms: list[str] | tuple[str, ...]) -> ItemMatch:
        category, sub, item = self._places[index]
        return ItemMatch(
            code=item.code,
            item=item,
            category=category.name,
            subcategory=sub.name,
            department=item.department,
            score=round(score, 4),
            matched_terms=tuple(sorted(set(terms), key=lambda t: (-len(t), t))),
        )
