"""Hashed character n-gram counts, the same as scikit-learn's ``HashingVectorizer`` gives.

The character n-gram embedder hashes n-grams into buckets as ``HashingVectorizer(analyzer=
"char", lowercase=True, alternate_sign=False, norm=None)`` does: lower-case the text, make
each run of two or more white-space characters one space, take the character n-grams, and
put each into bucket ``|murmurhash3_32(utf-8 bytes, seed 0)| % n_features``. That class
slices and hashes every n-gram in Python, which was about 40 % of the embedder's time.

Here the n-grams are made and hashed with numpy: the UTF-8 bytes of each character are
computed once, those of an n-gram of at most three characters (at most 12 bytes) are
assembled in two 64-bit words, and MurmurHash3 (x86, 32 bits) reads at most three 4-byte
blocks of them, so every step is one array operation over all n-grams of a batch (about 3
times faster than ``HashingVectorizer`` on the board posts). The counts are exactly those of
``HashingVectorizer`` (a test compares them), so a fitted model keeps its vectors and
fingerprint. Ranges with n-grams longer than ``MAX_N`` use ``HashingVectorizer``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

MAX_N = 3  # n-grams of at most 12 UTF-8 bytes: three 4-byte blocks of MurmurHash3

_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's char analyzer
_U32 = np.uint32
_C1, _C2 = _U32(0xCC9E2D51), _U32(0x1B873593)


def _utf8(text: str, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of each character of ``text`` (code points ``codes``) as one little-endian
    uint64 word, and their number: Python's encoder, cut at each character's first byte."""
    size = 1 + (codes >= 0x80).astype(np.uint64) + (codes >= 0x800) + (codes >= 0x10000)
    raw = np.frombuffer(text.encode("utf-8") + b"\0\0\0", dtype=np.uint8).astype(np.uint64)
    first = np.cumsum(size) - size
    word = np.zeros(len(codes), dtype=np.uint64)
    for byte in range(4):
        taken = np.where(size > byte, raw[first + np.uint64(byte)], np.uint64(0))
        word |= taken << np.uint64(8 * byte)
    return word, size


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << _U32(r)) | (x >> _U32(32 - r))


def _murmur3(low: np.ndarray, high: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Signed 32-bit MurmurHash3 (x86, seed 0) of byte strings of at most 12 bytes, given as
    their bytes 0-7 (``low``) and 8-11 (``high``) little-endian, and their lengths."""
    blocks = [
        (low & np.uint64(0xFFFFFFFF)).astype(_U32),
        (low >> np.uint64(32)).astype(_U32),
        high.astype(_U32),
    ]
    length = length.astype(_U32)
    whole = length >> _U32(2)
    h = np.zeros(len(low), dtype=_U32)
    with np.errstate(over="ignore"):
        for i, block in enumerate(blocks):
            if not (length > 4 * i).any():
                break
            k = _rotl(block * _C1, 15) * _C2
            full = whole > i
            mixed = _rotl(h ^ k, 13) * _U32(5) + _U32(0xE6546B64)
            # a partial block (the tail) is xor-ed in without the rotation and mix
            h = np.where(full, mixed, np.where(whole == i, h ^ k, h))
        h ^= length
        h ^= h >> _U32(16)
        h *= _U32(0x85EBCA6B)
        h ^= h >> _U32(13)
        h *= _U32(0xC2B2AE35)
        h ^= h >> _U32(16)
    return h.view(np.int32)


def ngram_hashes(texts: Sequence[str], min_n: int, max_n: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, signed MurmurHash3 of the UTF-8 bytes) of every character n-gram of each text,
    ``min_n <= n <= max_n <= MAX_N``."""
    if not 1 <= min_n <= max_n <= MAX_N:
        raise ValueError(f"n-gram range ({min_n}, {max_n}) must lie within (1, {MAX_N})")
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    if not lengths.sum():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    word, size = _utf8(joined, codes)
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    left = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(codes), dtype=np.int64)
    eight = np.uint64(8)
    all_rows, all_hashes = [], []
    for n in range(min_n, max_n + 1):
        start = np.flatnonzero(left >= n)
        low = word[start].copy()
        high = np.zeros(len(start), dtype=np.uint64)
        total = size[start].copy()
        for j in range(1, n):  # at most 8 bytes before the third character
            w = word[start + j]
            shift = total * eight
            fits = shift < 64
            low |= np.where(fits, w << np.where(fits, shift, np.uint64(0)), np.uint64(0))
            spill = shift > 32
            high |= np.where(
                spill,
                w >> np.where(spill, np.uint64(64) - np.minimum(shift, 64), np.uint64(0)),
                np.uint64(0),
            )
            total += size[start + j]
        all_rows.append(rows[start])
        all_hashes.append(_murmur3(low, high, total))
    return np.concatenate(all_rows), np.concatenate(all_hashes)


def bucket_of(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """``abs(h) % n_features``, with abs(-2**31) as scikit-learn defines it."""
    h = hashes.astype(np.int64)
    return np.where(
        h == -(2**31), (2**31 - 1 - (n_features - 1)) % n_features, np.abs(h) % n_features
    )


def hashing_vectorizer(ngram_range: tuple[int, int], n_features: int) -> HashingVectorizer:
    """The scikit-learn vectorizer whose counts ``HashedCharNgrams`` gives."""
    return HashingVectorizer(
        analyzer="char",
        ngram_range=tuple(ngram_range),
        n_features=n_features,
        alternate_sign=False,
        norm=None,
        lowercase=True,
        dtype=np.float32,
    )


class HashedCharNgrams:
    """``transform(texts)``: (texts, n_features) float32 CSR of hashed n-gram counts."""

    def __init__(self, ngram_range: tuple[int, int], n_features: int) -> None:
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.n_features = int(n_features)
        self._fallback: HashingVectorizer | None = None
        if self.ngram_range[1] > MAX_N:
            self._fallback = hashing_vectorizer(self.ngram_range, self.n_features)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = list(texts)
        if self._fallback is not None:
            return self._fallback.transform(texts).astype(np.float32)
        prepared = [_WHITE_SPACES.sub(" ", text.lower()) for text in texts]
        low, high = self.ngram_range
        rows, hashes = ngram_hashes(prepared, low, high)
        columns = bucket_of(hashes, self.n_features)
        counts = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, columns)),
            shape=(len(texts), self.n_features),
            dtype=np.float32,
        )
        counts.sum_duplicates()
        return counts
