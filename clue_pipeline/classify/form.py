"""Form features of a post for the relevance filter: how long it is and whether it asks.

Residents' messages to a service centre are mostly a few sentences to a page; off-topic texts
are mostly either one-line questions (search and customer-service queries) or long articles.
That is not monotone in length, so the length is one-hot in doubling buckets (below 16
characters, 16-31, ..., 2,048 and more) rather than one number. A last column is the number of
question marks, capped at 3 and scaled to 0..1. These columns only tilt the linear relevance
filter; the character n-grams still decide most posts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

#: the first bucket holds texts under 2**SHORTEST_LOG2 characters, the last 2**(..+BUCKETS-1)+
SHORTEST_LOG2 = 4
LENGTH_BUCKETS = 9
MAX_QUESTION_MARKS = 3
WIDTH = LENGTH_BUCKETS + 1


def form_features(texts: Sequence[str]) -> sp.csr_matrix:
    """One row per (normalised) text: length bucket one-hot, then the question-mark column."""
    lengths = np.array([len(t) for t in texts], dtype=float)
    buckets = np.floor(np.log2(np.maximum(lengths, 1.0))).astype(int) - (SHORTEST_LOG2 - 1)
    buckets = np.clip(buckets, 0, LENGTH_BUCKETS - 1)
    questions = np.array([min(t.count("?"), MAX_QUESTION_MARKS) for t in texts], dtype=float)
    rows = np.arange(len(texts))
    columns = np.concatenate([buckets, np.full(len(texts), WIDTH - 1)])
    values = np.concatenate([np.ones(len(texts)), questions / MAX_QUESTION_MARKS])
    matrix = sp.csr_matrix(
        (values, (np.concatenate([rows, rows]), columns)),
        shape=(len(texts), WIDTH),
    )
    matrix.eliminate_zeros()
    return matrix
