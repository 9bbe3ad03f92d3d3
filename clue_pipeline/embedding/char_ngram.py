"""Character n-gram TF-IDF made dense for FAISS.

Chinese has no spaces, so character 1-3-grams are the robust lexical view of a post:
the same place names, the same problem words. The sparse TF-IDF vector (feature hashing
into 2**20 buckets, as scikit-learn's ``HashingVectorizer`` hashes but with numpy: see
``char_ngram_hashing``; sublinear tf, idf fitted on a corpus) is made ``dim`` dense dimensions
by one of two projections:

- ``random``: a seeded sparse random projection (Johnson-Lindenstrauss). Inner products of
  the projected, renormalised vectors approximate the sparse cosines without a fitted
  vocabulary, so rare place names unseen in the fitting corpus still match each other; it
  needs many dimensions to do so (2048 and more).
- ``lsa``: latent semantic analysis. A truncated SVD of the TF-IDF vectors of the fitting
  posts, over their ``LSA_FEATURES`` most frequent n-grams (of those in at least two
  posts), keeps the directions along which the posts actually differ. At 256 dimensions,
  fitted on the real board posts, it groups them as well as the exact sparse cosine does
  (neighbours@5 0.78; 0.77 sparse, 0.53 for a random projection of the same size);
  n-grams never seen in the fitting posts count for nothing (fitted on half of the posts:
  0.68-0.69), so refit it on the operator's posts (``clues embedder train --from-db``) as
  they change.

Saved as a directory: ``char_ngram.json`` (parameters) and ``idf.npz`` (sparse idf); the
random projection is regenerated from the seed, the LSA one is ``lsa.npz`` (the n-grams and
their components, float16).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from clue_pipeline.embedding.base import l2_normalise
from clue_pipeline.embedding.char_ngram_hashing import HashedCharNgrams
from clue_pipeline.errors import ClueError

log = logging.getLogger(__name__)

CONFIG_FILE = "char_ngram.json"
IDF_FILE = "idf.npz"
LSA_FILE = "lsa.npz"
FORMAT = "clue-pipeline char-ngram v1"
PROJECTIONS = ("random", "lsa")
# n-grams an LSA projection keeps: the most frequent of those in at least two fitting posts
# (65,536 x 256 components are 32 MB on disk as float16). On the real board posts keeping
# 65,536 of 226,617 grouped slightly better than keeping all (neighbours@5 0.779 vs 0.763).
LSA_FEATURES = 65536
LSA_MIN_DF = 2
# Posts an LSA projection needs: fewer, it is refitted on the first run after the stored
# posts have doubled (``embedding.training.missing_parts``); as many stored posts are fitted
# on alone, without the labelled texts (``train_configured_embedder``).
LSA_FEW_POSTS = 1000


@dataclass(frozen=True)
class LsaProjection:
    """The fitted n-grams (hashed feature numbers, ascending) and their components:
    ``components[i]`` is the ``dim``-vector of n-gram ``features[i]``."""

    features: np.ndarray
    components: np.ndarray
    fitted_on: int = 0  # posts it was fitted on


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
        lsa: LsaProjection | None = None,
    ) -> None:
        if idf.shape != (n_features,):
            raise ValueError(f"idf has shape {idf.shape}, expected ({n_features},)")
        self._idf = idf.astype(np.float32)
        self._dim = int(dim)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.n_features = int(n_features)
        self.seed = int(seed)
        self._vectorizer = HashedCharNgrams(self.ngram_range, self.n_features)
        self._lsa = lsa
        digest = hashlib.sha256(self._idf.tobytes())
        digest.update(json.dumps(self._params()).encode())
        if lsa is None:
            self._projection_t = _sign_projection(self.n_features, self._dim, self.seed)
        else:
            if lsa.components.shape != (len(lsa.features), self._dim):
                raise ValueError(
                    f"LSA components have shape {lsa.components.shape}, expected "
                    f"({len(lsa.features)}, {self._dim})"
                )
            self._position = np.full(self.n_features, -1, dtype=np.int32)
            self._position[lsa.features] = np.arange(len(lsa.features), dtype=np.int32)
            digest.update(lsa.features.tobytes())
            digest.update(lsa.components.tobytes())
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
        projection: str = "random",
        lsa_corpus: Iterable[str] | None = None,
    ) -> CharNgramEmbedder:
        """Fit the idf weights on a corpus of texts (e.g. an operator's own posts) and, for the
        ``lsa`` projection, its components on ``lsa_corpus`` (default: the corpus), the posts
        that will be grouped."""
        if projection not in PROJECTIONS:
            raise ValueError(f"projection {projection!r} is not one of {PROJECTIONS}")
        texts = [t for t in corpus if t and t.strip()]
        if not texts:
            raise ClueError("cannot fit the character n-gram embedder: the corpus has no text")
        counts = HashedCharNgrams(ngram_range, n_features).transform(texts)
        df = np.bincount(counts.indices, minlength=n_features).astype(np.float64)
        n = len(texts)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0  # smooth idf, as sklearn's TfidfTransformer
        log.info(
            "char n-gram idf fitted on %d texts, %d distinct hashed n-grams", n, (df > 0).sum()
        )
        fitted = cls(idf, dim=dim, ngram_range=ngram_range, n_features=n_features, seed=seed)
        if projection == "random":
            return fitted
        posts = texts if lsa_corpus is None else [t for t in lsa_corpus if t and t.strip()]
        lsa = _fit_lsa(fitted.sparse_tfidf(posts or texts), dim)
        return cls(idf, dim=dim, ngram_range=ngram_range, n_features=n_features, seed=seed, lsa=lsa)

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
        lsa_path = directory / LSA_FILE
        if self._lsa is None:
            lsa_path.unlink(missing_ok=True)
        else:
            np.savez(
                lsa_path,
                features=self._lsa.features.astype(np.int32),
                components=self._lsa.components.astype(np.float16),
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
        lsa = None
        if params.get("projection", "random") == "lsa":
            if not (directory / LSA_FILE).is_file():
                raise ClueError(
                    f"{config_path}: an LSA projection needs {directory / LSA_FILE}, which is "
                    "missing; refit the model with `clues embedder train`"
                )
            fitted = np.load(directory / LSA_FILE)
            lsa = LsaProjection(
                fitted["features"].astype(np.int64),
                fitted["components"].astype(np.float32),
                int(params.get("lsa_posts", 0)),
            )
        return cls(
            idf,
            dim=params["dim"],
            ngram_range=tuple(params["ngram_range"]),
            n_features=params["n_features"],
            seed=params["seed"],
            lsa=lsa,
        )

    # --- the TextEmbedder interface ------------------------------------------------------

    @property
    def name(self) -> str:
        low, high = self.ngram_range
        return f"char_ngram[{low}-{high}]{'-lsa' if self._lsa else ''}x{self._dim}"

    @property
    def projection(self) -> str:
        return "random" if self._lsa is None else "lsa"

    @property
    def fitted_on(self) -> int | None:
        """Posts the LSA projection was fitted on (None: a random projection)."""
        return None if self._lsa is None else self._lsa.fitted_on

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
        return _normalised_rows(counts.multiply(self._idf[None, :]).tocsr())

    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = self.sparse_tfidf(texts[start : start + batch_size])
            end = start + chunk.shape[0]
            if self._lsa is None:
                out[start:end] = (chunk @ self._projection_t).toarray()
            else:
                out[start:end] = _normalised_rows(self._kept(chunk)) @ self._lsa.components
        return l2_normalise(out)

    def _kept(self, rows: sp.csr_matrix) -> sp.csr_matrix:
        """``rows`` restricted to the n-grams of the LSA projection (columns renumbered)."""
        assert self._lsa is not None
        position = self._position[rows.indices]
        keep = position >= 0
        row_of = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))[keep]
        return sp.csr_matrix(
            (rows.data[keep], (row_of, position[keep])),
            shape=(rows.shape[0], len(self._lsa.features)),
            dtype=np.float32,
        )

    def _params(self) -> dict:
        params = {
            "format": FORMAT,
            "dim": self._dim,
            "ngram_range": list(self.ngram_range),
            "n_features": self.n_features,
            "seed": self.seed,
        }
        if self._lsa is not None:  # a random projection's parameters stay as they were
            params["projection"] = "lsa"
            params["lsa_posts"] = self._lsa.fitted_on
        return params


def _normalised_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix, dtype=np.float32)


def _fit_lsa(tfidf: sp.csr_matrix, dim: int) -> LsaProjection:
    """Truncated SVD of the posts' TF-IDF rows over their most frequent n-grams (those in at
    least LSA_MIN_DF posts, at most LSA_FEATURES). With fewer posts or n-grams than ``dim``
    the missing components are zero (all of them for a single post): every vector keeps
    ``dim`` dimensions."""
    from sklearn.utils.extmath import randomized_svd

    df = np.bincount(tfidf.indices, minlength=tfidf.shape[1])
    features = np.flatnonzero(df >= LSA_MIN_DF)
    if len(features) < 2:  # a tiny corpus: every n-gram it has
        features = np.flatnonzero(df > 0)
    if len(features) > LSA_FEATURES:
        features = features[np.argsort(-df[features], kind="stable")[:LSA_FEATURES]]
    features = np.sort(features).astype(np.int64)
    rows = _normalised_rows(tfidf[:, features].tocsr())
    rank = min(dim, rows.shape[0] - 1, len(features) - 1)
    components = np.zeros((len(features), dim), dtype=np.float32)
    if rank >= 1:
        _, _, vt = randomized_svd(rows, rank, n_iter=5, random_state=0)
        components[:, :rank] = vt.T
    if rows.shape[0] < LSA_FEW_POSTS:
        log.warning(
            "LSA projection fitted on only %d posts: n-grams they lack count for nothing; "
            "it is refitted on the stored posts as they grow (or run `clues embedder train "
            "--from-db`)",
            rows.shape[0],
        )
    # stored as float16: fit and load must give the same vectors and fingerprint
    components = components.astype(np.float16).astype(np.float32)
    log.info("LSA projection fitted: %d posts, %d n-grams, %d components", *rows.shape, rank)
    return LsaProjection(features, components, int(rows.shape[0]))


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
