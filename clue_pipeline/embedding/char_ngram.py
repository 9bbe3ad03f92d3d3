"""Character n-gram TF-IDF made dense for FAISS.

Chinese has no spaces, so character 1-3-grams are the robust lexical view of a post:
the same place names, the same problem words. The sparse TF-IDF vector (feature hashing
into 2**20 buckets, sublinear tf, idf fitted on a corpus) is projected to ``dim`` dense
dimensions with a seeded sparse random projection (Johnson-Lindenstrauss): inner products
of the projected, renormalised vectors approximate the sparse cosines without a fitted
vocabulary, so rare place names unseen in the fitting corpus still match each other.

Saved as a directory: ``char_ngram.json`` (parameters) and ``idf.npz`` (sparse idf),
the projection is regenerated from the seed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from clue_pipeline.embedding.base import l2_normalise
from clue_pipeline.errors import ClueError

log = logging.getLogger(__name__)

CONFIG_FILE = "char_ngram.json"
IDF_FILE = "idf.npz"
FORMAT = "clue-pipeline char-ngram v1"


class CharNgramEmbedder:
    """Dense projection of character n-gram TF-IDF vectors."""

    def __init__(
        self,
        idf: np.ndarray,
        *,
        dim: int = 1024,
        ngram_range: tuple[int, int] = (1, 3),
        n_features: int = 2**20,
        seed: int = 13,
    ) -> None:
        if idf.shape != (n_features,):
            raise ValueError(f"idf has shape {idf.shape}, expected ({n_features},)")
        self._idf = idf.astype(np.float32)
        self._dim = int(dim)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.n_features = int(n_features)
        self.seed = int(seed)
        self._vectorizer = _vectorizer(self.ngram_range, self.n_features)
        self._projection_t = _sign_projection(self.n_features, self._dim, self.seed)
        digest = hashlib.sha256(self._idf.tobytes())
        digest.update(json.dumps(self._params()).encode())
        self._fingerprint = "char_ngram:" + digest.hexdigest()[:16]

    # --- fitting and persistence -------------------------------------------------------

    @classmethod
    def fit(
        cls,
        corpus: Iterable[str],
        *,
        dim: int = 1024,
        ngram_range: tuple[int, int] = (1, 3),
        n_features: int = 2**20,
        seed: int = 13,
    ) -> CharNgramEmbedder:
        """Fit the idf weights on a corpus of texts (e.g. an operator's own posts)."""
        texts = [t for t in corpus if t and t.strip()]
        if not texts:
            raise ClueError("cannot fit the character n-gram embedder: the corpus has no text")
        counts = _vectorizer(ngram_range, n_features).transform(texts)
        df = np.bincount(counts.indices, minlength=n_features).astype(np.float64)
        n = len(texts)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0  # smooth idf, as sklearn's TfidfTransformer
        log.info(
            "char n-gram idf fitted on %d texts, %d distinct hashed n-grams", n, (df > 0).sum()
        )
        return cls(idf, dim=dim, ngram_range=ngram_range, n_features=n_features, seed=seed)

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CONFIG_FILE).write_text(json.dumps(self._params(), indent=2) + "\n")
        # idf of unseen n-grams is the same maximal value: store it once, the rest sparsely
        default = float(self._idf.max())
        seen = np.flatnonzero(self._idf != default)
        np.savez_compressed(
            directory / IDF_FILE, index=seen, value=self._idf[seen], default=np.float32(default)
        )
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> CharNgramEmbedder:
        directory = Path(directory)
        config_path = directory / CONFIG_FILE
        if not config_path.is_file() or not (directory / IDF_FILE).is_file():
            raise ClueError(
                f"no character n-gram model in {directory} (expected {CONFIG_FILE} and "
                f"{IDF_FILE}); create it with `clues embedder train` or CharNgramEmbedder.fit()"
            )
        params = json.loads(config_path.read_text())
        if params.get("format") != FORMAT:
            raise ClueError(
                f"{config_path}: format {params.get('format')!r} is not {FORMAT!r}; refit the model"
            )
        stored = np.load(directory / IDF_FILE)
        idf = np.full(params["n_features"], stored["default"], dtype=np.float32)
        idf[stored["index"]] = stored["value"]
        return cls(
            idf,
            dim=params["dim"],
            ngram_range=tuple(params["ngram_range"]),
            n_features=params["n_features"],
            seed=params["seed"],
        )

    # --- the TextEmbedder interface ------------------------------------------------------

    @property
    def name(self) -> str:
        low, high = self.ngram_range
        return f"char_ngram[{low}-{high}]x{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def sparse_tfidf(self, texts: Sequence[str]) -> sp.csr_matrix:
        """L2-normalised sparse TF-IDF rows (the exact cosine the projection approximates)."""
        counts = self._vectorizer.transform(list(texts)).astype(np.float32)
        counts.data = 1.0 + np.log(counts.data)  # sublinear tf
        weighted = counts.multiply(self._idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ weighted, dtype=np.float32)

    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = self.sparse_tfidf(texts[start : start + batch_size])
            out[start : start + len(texts[start : start + batch_size])] = (
                chunk @ self._projection_t
            ).toarray()
        return l2_normalise(out)

    def _params(self) -> dict:
        return {
            "format": FORMAT,
            "dim": self._dim,
            "ngram_range": list(self.ngram_range),
            "n_features": self.n_features,
            "seed": self.seed,
        }


def _vectorizer(ngram_range: tuple[int, int], n_features: int) -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="char",
        ngram_range=tuple(ngram_range),
        n_features=n_features,
        alternate_sign=False,
        norm=None,
        lowercase=True,
        dtype=np.float32,
    )


PROJECTION_NNZ = 4  # dimensions each hashed n-gram is spread over


def _sign_projection(n_features: int, dim: int, seed: int) -> sp.csr_matrix:
    """(n_features, dim) sparse matrix, PROJECTION_NNZ entries of +-1/sqrt(k) per row."""
    rng = np.random.default_rng(seed)
    k = min(PROJECTION_NNZ, dim)
    cols = rng.integers(0, dim, size=(n_features, k))  # a rare repeat just sums the signs
    signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(n_features, k))
    rows = np.repeat(np.arange(n_features), k)
    return sp.csr_matrix(
        (signs.ravel() / np.sqrt(k), (rows, cols.ravel())),
        shape=(n_features, dim),
        dtype=np.float32,
    )
