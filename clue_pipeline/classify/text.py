"""Cheap text normalisation shared by training and prediction."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, runs of white space to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()
