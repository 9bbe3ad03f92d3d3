"""Zero-training matcher: rank catalogue items for a text from the catalogue
alone. Terms are the items' keywords and names (full weight), their
subcategory's keywords and name (half weight) and their category's keywords
and name (a fifth). Scoring is BM25-like: a term weighs more the fewer items
carry it and the longer it is; repeats saturate. One pass over the text finds
every occurrence of every term (overlaps included) by a two-character prefix
table. An item's example posts (``examples`` in the catalogue: what residents
write about it) add the cosine of the text with the nearest of them, over
character 2-3-gram TF-IDF, so a post that says the matter in other words than the
keywords still finds its item. When neither a term nor an example occurs,
character bigrams of the item texts rank instead, at a lower score."""

from __future__ import annotations

import copy
import heapq
import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from clue_pipeline.catalog.models import OTHER, Catalog, Category, Item, Subcategory

ITEM_WEIGHT = 1.0
SUBCATEGORY_WEIGHT = 0.5
CATEGORY_WEIGHT = 0.2
BIGRAM_SCALE = 0.3  # bigram evidence is weaker than a whole keyword
K1 = 1.2  # term-frequency saturation
B = 0.25  # item document length normalisation
EXAMPLE_WEIGHT = 12.0  # score of an example the text is identical to
EXAMPLE_MIN = 0.1  # cosine under which an example is no evidence
EXAMPLE_TEXT_CHARS = 120  # a text's opening compared with the examples (where it states the matter)
EXAMPLE_BUCKETS = 2**20  # hashed n-gram columns


@dataclass(frozen=True)
class ExampleRow:
    """One text's cosine with every example, and with the nearest example of each item
    that has examples."""

    similarities: np.ndarray
    best: np.ndarray


@dataclass(frozen=True)
class ExampleRows:
    """``example_similarities`` of a batch: ``rows[i]`` is text i's ``ExampleRow``."""

    similarities: np.ndarray
    best: np.ndarray

    def __len__(self) -> int:
        return len(self.best)

    def __getitem__(self, index: int) -> ExampleRow:
        return ExampleRow(self.similarities[index], self.best[index])

    def __iter__(self) -> Iterator[ExampleRow]:
        return (self[i] for i in range(len(self)))


@dataclass(frozen=True)
class ItemMatch:
    code: str
    item: Item
    category: str
    subcategory: str
    department: str
    score: float
    matched_terms: tuple[str, ...]
    example: str | None = None  # the item's example nearest the text, when it counted
    example_similarity: float | None = None


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
        self._build_examples()
        self._term_items: sp.csr_matrix | None = None  # see _term_matrix
        self._term_column: dict[str, int] = {}
        owner = [category.name for category, _, _ in self._places]  # grouped by category
        self._category_starts = np.flatnonzero(
            np.r_[True, [a != b for a, b in zip(owner[1:], owner[:-1], strict=True)]]
        )
        #: the columns of `category_scores`: the categories that have items, catalogue order
        self.category_names = [owner[i] for i in self._category_starts]

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
    def example_similarities(self, texts: Sequence[str]) -> ExampleRows | None:
        """How near each text is to every example of the catalogue, one row per text, for
        ``match(..., examples=rows[i])``; None when the catalogue has no examples. One
        sparse product for a whole batch: build it once per batch, not per text."""
        if self._example_idf is None:
            return None
        heads = [normalise(t[:EXAMPLE_TEXT_CHARS]) for t in texts]
        x = self._weighted(self._example_ngrams.transform(heads))
        similarities = (x @ self._example_matrix).toarray()
        best = np.maximum.reduceat(similarities, self._example_starts, axis=1)
        return ExampleRows(similarities, best)

    def match(
        self,
        text: str,
        top_k: int = 5,
        categories: list[str] | None = None,
        found: dict[str, int] | None = None,
        examples: ExampleRow | None = None,
    ) -> list[ItemMatch]:
        """The ``top_k`` best items for ``text``, best first; optionally only
        items of the named ``categories``. Empty when nothing matches at all.
        ``found``: ``find_terms(text)`` when the caller has it already; ``examples``:
        the text's row of ``example_similarities`` (without it examples are not read)."""
        allowed = self._allowed(categories)
        found = self.find_terms(text) if found is None else found
        scores, terms_of = self._keyword_scores(found, allowed)
        nearest = self._example_scores(examples, allowed, scores)
        if not scores:
            scores, terms_of = self._bigram_scores(text, allowed)
        # best first, ties by catalogue order; nlargest: most calls want one of many items
        ranked = heapq.nlargest(top_k, scores.items(), key=lambda kv: (kv[1], -kv[0]))
        return [
            self._result(index, score, terms_of[index], self._nearest(examples, nearest, index))
            for index, score in ranked
        ]

    def _nearest(
        self, examples: ExampleRow | None, nearest: dict[int, tuple[int, float]], index: int
    ) -> tuple[str, float] | None:
        """The text and cosine of item ``index``'s nearest example, when it counted."""
        if examples is None or index not in nearest:
            return None
        j, similarity = nearest[index]
        start = self._example_starts[j]
        end = self._example_starts[j + 1] if j + 1 < len(self._example_starts) else None
        text = self._example_texts[start + int(np.argmax(examples.similarities[start:end]))]
        if len(text) > EXAMPLE_TEXT_CHARS:  # a routed post can be long: its opening is compared
            text = text[:EXAMPLE_TEXT_CHARS] + "…"
        return text, round(similarity, 4)

    def match_within(
        self,
        text: str,
        category: str,
        found: dict[str, int] | None = None,
        examples: ExampleRow | None = None,
    ) -> ItemMatch:
        """The best item inside ``category`` (decided elsewhere, e.g. by a
        trained model); the category's general 其他 item at score 0 when the
        text says nothing more specific."""
        best = self.match(text, top_k=1, categories=[category], found=found, examples=examples)
        if best:
            return best[0]
        fallback = self.catalog.category(category).fallback_item()
        index = next(i for i, (_, _, item) in enumerate(self._places) if item is fallback)
        return self._result(index, 0.0, ())

    def category_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Per text (rows) and catalogue category (columns: `category_names`), the score of the
        category's best item as `match` scores items (keywords and nearest examples, item
        bigrams when no keyword matches; 0 where nothing matches). For a batch: one sparse
        product for the keywords and one for the examples."""
        term_items, term_column = self._term_matrix()
        rows, cols, values = [], [], []
        for row, text in enumerate(texts):
            for term, count in self.find_terms(text).items():
                rows.append(row)
                cols.append(term_column[term])
                values.append(count * (K1 + 1) / (count + K1))
        counts = sp.csr_matrix((values, (rows, cols)), shape=(len(texts), term_items.shape[0]))
        scores = (counts @ term_items).toarray()
        examples = self.example_similarities(texts)
        if examples is not None:
            best = np.where(examples.best >= EXAMPLE_MIN, examples.best, 0.0)
            scores[:, self._example_owners] += EXAMPLE_WEIGHT * best
        for row in np.flatnonzero(~(scores > 0).any(axis=1)):
            for index, score in self._bigram_scores(texts[row], None)[0].items():
                scores[row, index] = score
        return np.maximum.reduceat(scores, self._category_starts, axis=1)

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

    def _term_matrix(self) -> tuple[sp.csr_matrix, dict[str, int]]:
        """The keyword scores as a matrix, terms x items (idf x length bonus x the item's
        weight: what `_keyword_scores` sums), and each term's row; built on first use."""
        if self._term_items is None:
            terms = sorted(self._postings)
            rows, cols, values = [], [], []
            for j, term in enumerate(terms):
                for index, weight in self._postings[term]:
                    rows.append(j)
                    cols.append(index)
                    values.append(self._factor[term] * weight)
            self._term_items = sp.csr_matrix(
                (values, (rows, cols)), shape=(len(terms), len(self._places)), dtype=np.float64
            )
            self._term_column = {term: j for j, term in enumerate(terms)}
        return self._term_items, self._term_column

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

    def with_routed_examples(self, routed: Mapping[str, Sequence[str]]) -> CatalogMatcher:
        """This matcher with more examples: ``routed`` maps item codes to posts analysts
        routed to the item by hand. Codes the catalogue no longer has are left out."""
        matcher = copy.copy(self)
        matcher._build_examples(routed)
        return matcher

    def _build_examples(self, routed: Mapping[str, Sequence[str]] | None = None) -> None:
        """The examples' TF-IDF rows (hashed character 2-3-grams, sublinear counts, the
        inverse document frequency over the examples, unit length), grouped by item
        (``_example_starts``: where each item that has examples begins,
        ``_example_owners``: that item)."""
        texts, owners = [], []
        for index, (_, _, item) in enumerate(self._places):
            for example in [*item.examples, *(routed or {}).get(item.code, ())]:
                texts.append(example)
                owners.append(index)
        self._example_texts = texts
        if not texts:
            self._example_idf = None
            return
        from clue_pipeline.embedding.char_ngram_hashing import HashedCharNgrams

        self._example_ngrams = HashedCharNgrams((2, 3), EXAMPLE_BUCKETS)
        counts = self._example_ngrams.transform([normalise(t) for t in texts])
        df = np.bincount(counts.indices, minlength=EXAMPLE_BUCKETS)
        # an n-gram no example has weighs nothing, in the text's length too: as a vocabulary
        idf = np.where(df > 0, np.log((1 + len(texts)) / (1 + df)) + 1, 0).astype(np.float32)
        self._example_idf = idf
        self._example_matrix = self._weighted(counts).T.tocsr()
        owner = np.asarray(owners)
        self._example_starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        self._example_owners = owner[self._example_starts]

    def _weighted(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weighted = counts.copy()
        weighted.data = (1 + np.log(weighted.data)) * self._example_idf[weighted.indices]
        weighted.eliminate_zeros()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return sp.csr_matrix(sp.diags(1 / norms) @ weighted, dtype=np.float32)

    def _example_scores(
        self, examples: ExampleRow | None, allowed: set[int] | None, scores: dict[int, float]
    ) -> dict[int, tuple[int, float]]:
        """Add each item's nearest example to ``scores``; for every item it counted for, the
        item's place among those with examples and the cosine."""
        if examples is None or self._example_idf is None:
            return {}
        nearest: dict[int, tuple[int, float]] = {}
        for j in np.flatnonzero(examples.best >= EXAMPLE_MIN):
            index = int(self._example_owners[j])
            if allowed is not None and index not in allowed:
                continue
            similarity = float(examples.best[j])
            scores[index] = scores.get(index, 0.0) + EXAMPLE_WEIGHT * similarity
            nearest[index] = (j, similarity)
        return nearest

    def _result(
        self,
        index: int,
        score: float,
        terms: list[str] | tuple[str, ...],
        nearest: tuple[str, float] | None = None,
    ) -> ItemMatch:
        category, sub, item = self._places[index]
        return ItemMatch(
            code=item.code,
            item=item,
            category=category.name,
            subcategory=sub.name,
            department=item.department,
            score=round(score, 4),
            matched_terms=tuple(sorted(set(terms), key=lambda t: (-len(t), t))),
            example=nearest[0] if nearest else None,
            example_similarity=nearest[1] if nearest else None,
        )
