"""The embedder's hashed n-gram counts are exactly scikit-learn's HashingVectorizer's."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.utils import murmurhash3_32

from clue_pipeline.embedding.char_ngram_hashing import (
    HashedCharNgrams,
    hashing_vectorizer,
    ngram_hashes,
)

# 1- to 4-byte UTF-8 characters at their boundaries, upper case (lowered), white space runs
# (made one space), a NUL, an emoji and the last code point
ALPHABET = (
    "abcXYZ  \t\n\r\u3000ÄİẞΣ路灯不亮水管爆裂😀 \x00"
    "\x7f\u0080\u07ff\u0800\uffff\U00010000\U0010ffff"
)


def _texts(count: int, seed: int = 0) -> list[str]:
    rnd = random.Random(seed)
    made = ["".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 40))) for _ in range(count)]
    return made + ["", " ", "A", "AB", "人民路12号路灯不亮已经三天了，晚上出行很不安全。"]


@pytest.mark.parametrize(
    ("ngram_range", "n_features"),
    [((1, 3), 2**20), ((1, 1), 2**20), ((2, 3), 1000), ((3, 3), 2**18), ((1, 4), 2**20)],
)
def test_counts_equal_hashing_vectorizer(ngram_range: tuple[int, int], n_features: int) -> None:
    texts = _texts(1500)
    expected = hashing_vectorizer(ngram_range, n_features).transform(texts)
    expected.sum_duplicates()
    got = HashedCharNgrams(ngram_range, n_features).transform(texts)
    assert got.shape == expected.shape
    assert got.dtype == np.float32
    assert (got != expected).nnz == 0


def test_hashes_equal_murmurhash3_of_the_utf8_bytes() -> None:
    texts = _texts(300, seed=1)
    rows, hashes = ngram_hashes(texts, 1, 3)
    expected = [
        murmurhash3_32(text[i : i + n], seed=0)
        for n in (1, 2, 3)
        for text in texts
        for i in range(len(text) - n + 1)
    ]
    # for each n in turn, the n-grams of each text in order
    assert hashes.tolist() == expected
    assert rows.tolist() == [r for n in (1, 2, 3) for r, t in enumerate(texts) for _ in t[n - 1 :]]


def test_no_texts_and_ranges_beyond_three_characters() -> None:
    assert HashedCharNgrams((1, 3), 64).transform([]).shape == (0, 64)
    assert HashedCharNgrams((1, 3), 64).transform(["", ""]).nnz == 0
    with pytest.raises(ValueError, match=r"n-gram range \(2, 4\) must lie within \(1, 3\)"):
        ngram_hashes(["abcd"], 2, 4)
