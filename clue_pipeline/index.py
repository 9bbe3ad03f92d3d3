"""The vector index: FAISS over post vectors, ids are post ids. A cache beside
the database, rebuildable from it; exact search while small, HNSW once it
grows past ``approximate_above``."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexSettings:
    approximate_above: int = 200_000
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 256


class VectorIndex:
    """Inner-product search over L2-normalised vectors keyed by post id."""

    def __init__(self, dim: int, settings: IndexSettings | None = None) -> None:
        self.dim = dim
        self.settings = settings or IndexSettings()
        self._index = self._new_exact()
        self.approximate = False

    def _new_exact(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    def _new_approximate(self) -> faiss.Index:
        hnsw = faiss.IndexHNSWFlat(self.dim, self.settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = self.settings.ef_construction
        hnsw.hnsw.efSearch = self.settings.ef_search
        return faiss.IndexIDMap2(hnsw)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not self.approximate and len(self) + len(ids) > self.settings.approximate_above:
            self._switch_to_approximate()
        self._index.add_with_ids(vectors, ids)

    def _switch_to_approximate(self) -> None:
        log.info("index passes %d vectors: switching to HNSW", self.settings.approximate_above)
        old = self._index
        count = int(old.ntotal)
        new = self._new_approximate()
        if count:
            vectors = old.index.reconstruct_n(0, count)
            ids = faiss.vector_to_array(old.id_map).astype(np.int64)
            new.add_with_ids(vectors, ids)
        self._index = new
        self.approximate = True

    def set_ef_search(self, ef_search: int) -> None:
        """How many candidates an approximate (HNSW) search looks at; no effect when exact."""
        self.settings = dataclasses.replace(self.settings, ef_search=ef_search)
        if self.approximate:
            faiss.downcast_index(self._index.index).hnsw.efSearch = ef_search

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Similarities and post ids of the ``k`` nearest (id -1 where fewer)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(self) == 0 or len(vectors) == 0:
            shape = (len(vectors), k)
            return np.zeros(shape, dtype=np.float32), np.full(shape, -1, dtype=np.int64)
        return self._index.search(vectors, min(k, len(self)))

    def ids(self) -> np.ndarray:
        """The ids the index holds."""
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def remove(self, ids: np.ndarray) -> int:
        """Drop the vectors of ``ids`` (those held); how many were dropped. Exact index only:
        FAISS's HNSW cannot remove."""
        if len(ids) == 0:
            return 0
        if self.approximate:
            raise ValueError("an approximate (HNSW) index cannot remove vectors")
        return int(self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64)))

    def reconstruct(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ids among ``ids`` that the index holds, and their stored vectors."""
        found, rows = [], []
        for post_id in ids:
            try:
                rows.append(self._index.reconstruct(int(post_id)))
            except RuntimeError:  # not in the index
                continue
            found.append(int(post_id))
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dim), dtype=np.float32)
        return np.array(found, dtype=np.int64), np.vstack(rows).astype(np.float32, copy=False)

    def save(self, path: Path, fingerprint: str, origin: Mapping[str, str] | None = None) -> None:
        """Write the index and its metadata; ``origin`` (what built it: the embedder's name,
        the processing file) is kept in the metadata for `saved_origin`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        faiss.write_index(self._index, str(tmp))
        tmp.replace(path)
        meta: dict[str, Any] = {"fingerprint": fingerprint, "dim": self.dim, "count": len(self)}
        meta["approximate"] = self.approximate
        meta.update(origin or {})
        meta_tmp = path.with_suffix(".json.tmp")
        meta_tmp.write_text(json.dumps(meta), encoding="utf-8")
        meta_tmp.replace(path.with_suffix(".json"))

    @staticmethod
    def saved_origin(path: Path) -> dict[str, Any] | None:
        """The metadata saved beside the index at ``path``, or None when there is none (or it
        cannot be read: the index is a cache, rebuilt when it does not fit)."""
        try:
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) else None

    @classmethod
    def load(
        cls, path: Path, fingerprint: str, dim: int, settings: IndexSettings | None = None
    ) -> VectorIndex | None:
        """The saved index, or None when missing, built by another model or damaged (a
        damaged file is logged: the caller rebuilds the index from the database)."""
        meta_path = path.with_suffix(".json")
        if not path.exists() or not meta_path.exists():
            return None
        meta = VectorIndex.saved_origin(path)
        if meta is None:
            log.warning("index metadata %s is unreadable: the index is rebuilt", meta_path)
            return None
        if meta.get("fingerprint") != fingerprint or meta.get("dim") != dim:
            return None
        index = cls(dim, settings)
        try:
            index._index = faiss.read_index(str(path))
        except RuntimeError as exc:
            log.warning("index %s is unreadable (%s): the index is rebuilt", path, exc)
            return None
        if index._index.d != dim:
            log.warning(
                "index %s holds vectors of %d dimensions, not %d: the index is rebuilt",
                path,
                index._index.d,
                dim,
            )
            return None
        index.approximate = bool(meta.get("approximate"))
        if index.approximate:
            faiss.downcast_index(index._index.index).hnsw.efSearch = index.settings.ef_search
        return index
