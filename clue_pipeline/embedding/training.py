"""Train the embedder parts that config/processing.yaml names, from an
operator's own posts: character n-gram idf, and a StaticEmbedding model (over
characters, or pieces with ``tokens: pieces``) for ``sentence_transformers`` parts whose
model is a local directory under the project (a hub name or the packaged MiniLM is never
retrained)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from clue_pipeline import settings
from clue_pipeline.embedding.static_training import StaticTrainingSettings, tokenization_of
from clue_pipeline.errors import ClueError, ConfigError

log = logging.getLogger(__name__)

CHAR_NGRAM_DIM = 2048


def embedder_parts(spec: Mapping[str, Any] | str) -> Iterator[Mapping[str, Any]]:
    """Every leaf entry of an embedder spec."""
    if isinstance(spec, str):
        yield {"kind": "sentence_transformers", "model": spec}
        return
    if spec.get("kind") == "combined":
        for part in spec.get("parts") or []:
            yield from embedder_parts(part)
        return
    yield spec


def _trainable_model_dir(part: Mapping[str, Any]) -> Path | None:
    model = str(part.get("model", ""))
    if part.get("kind") != "sentence_transformers" or not model.startswith(("var/", "./", "/")):
        return None
    return settings.resolve_path(model)


def fit_char_ngram(
    path: Path,
    texts: Sequence[str],
    dim: int = CHAR_NGRAM_DIM,
    *,
    projection: str = "random",
    posts: Sequence[str] | None = None,
) -> Path:
    """Fit a character n-gram part: its idf on ``texts``, an LSA projection on ``posts`` (the
    texts that will be grouped; default ``texts``)."""
    from clue_pipeline.embedding.char_ngram import CharNgramEmbedder

    return CharNgramEmbedder.fit(texts, dim=dim, projection=projection, lsa_corpus=posts).save(path)


def missing_parts(
    spec: Mapping[str, Any] | str, stored_posts: int | None = None
) -> list[Mapping[str, Any]]:
    """Trainable parts (character n-grams, a StaticEmbedding under the project) whose model
    directory does not exist yet. Character n-grams also when their model holds another
    projection than the configured one (an upgraded configuration refits them on the first
    run), or an LSA projection fitted on fewer than ``LSA_FEW_POSTS`` posts while
    ``stored_posts`` are at least twice as many (a first crawl's few posts: refitted as the
    store grows, a handful of times)."""
    from clue_pipeline.embedding.char_ngram import CONFIG_FILE, LSA_FEW_POSTS

    missing = []
    for part in embedder_parts(spec):
        if part.get("kind") == "char_ngram" and part.get("path"):
            config_path = settings.resolve_path(str(part["path"])) / CONFIG_FILE
            stored = _stored_params(config_path)
            if stored is None or stored.get("projection", "random") != part.get(
                "projection", "random"
            ):
                missing.append(part)  # never trained, or trained for another projection
            elif stored.get("projection") == "lsa" and stored_posts is not None:
                fitted_on = stored.get("lsa_posts")
                if (
                    isinstance(fitted_on, int)
                    and fitted_on < LSA_FEW_POSTS
                    and stored_posts >= 2 * max(1, fitted_on)
                ):
                    missing.append(part)
            continue
        directory = _trainable_model_dir(part)
        if directory is None:
            continue
        if not (directory / "modules.json").is_file():
            missing.append(part)  # never trained
        elif tokenization_of(directory) not in (None, static_settings(part).tokens):
            missing.append(part)  # trained here on other tokens than configured
    return missing


def static_settings(part: Mapping[str, Any], where: str = "embedder") -> StaticTrainingSettings:
    """Training settings of a trainable sentence-transformers part: its ``tokens`` and, for
    pieces, its ``vocabulary`` size; ConfigError naming ``where`` when they are wrong."""
    from clue_pipeline.embedding.static_training import TOKENIZATIONS

    tokens = part.get("tokens", "characters")
    if tokens not in TOKENIZATIONS:
        raise ConfigError(
            f"{where}.tokens: expected one of {', '.join(TOKENIZATIONS)}, got {tokens!r}; "
            "hint: pieces reads two-character words, characters single characters"
        )
    vocabulary = part.get("vocabulary")
    if vocabulary is None:
        return StaticTrainingSettings(tokens=tokens)
    if tokens != "pieces":
        raise ConfigError(f"{where}.vocabulary: applies to tokens: pieces only; hint: remove it")
    if not isinstance(vocabulary, int) or isinstance(vocabulary, bool) or vocabulary < 1000:
        raise ConfigError(
            f"{where}.vocabulary: expected an integer >= 1000, got {vocabulary!r}; hint: 8000"
        )
    return StaticTrainingSettings(tokens=tokens, vocabulary_size=vocabulary)


def _stored_params(config_path: Path) -> dict | None:
    """The parameters of a saved character n-gram model (None: absent or unreadable, so
    train it)."""
    import json

    try:
        params = json.loads(config_path.read_text())
    except (OSError, ValueError):
        return None
    return params if isinstance(params, dict) else None


def bootstrap_missing_parts(spec: Mapping[str, Any] | str, texts: Sequence[Any]) -> list[Path]:
    """Train the parts that were never trained on ``texts`` (the stored posts), so a fresh
    installation groups from its first run; ``clues embedder train`` retrains them later
    with the operator's labelled pairs. Returns the directories written."""
    missing = missing_parts(spec, stored_posts=len(texts))
    if not missing or not texts:
        return []
    log.info("training never-trained embedder parts on %d stored posts", len(texts))
    return train_configured_embedder(texts, (), spec={"kind": "combined", "parts": missing})


def train_configured_embedder(
    texts: Sequence[Any],
    pairs: Sequence[Any] = (),
    *,
    spec: Mapping[str, Any] | str | None = None,
    progress: Callable[[str], None] | None = None,
    posts: Sequence[str] | None = None,
) -> list[Path]:
    """Train every trainable part of the configured embedder; returns the
    directories written. ``pairs``: labelled sentence pairs (``labelled_data.Pair``,
    ``TrainingPair`` or (a, b[, label]) tuples) for the StaticEmbedding parts.
    ``posts``: the texts among ``texts`` that will be grouped (the stored posts); an LSA
    projection is fitted on them alone when they are enough for it
    (``char_ngram.LSA_FEW_POSTS``), else on all ``texts``: the directions of the posts that
    are grouped, not of labelled files about other things (on the real board posts, fitted
    on the posts neighbours@5 0.779, on the posts and off-topic texts 0.751)."""
    from clue_pipeline.embedding import char_ngram
    from clue_pipeline.processing.config import load_processing_config

    spec = spec if spec is not None else load_processing_config().embedder
    say = progress or (lambda message: log.info(message))
    from clue_pipeline.embedding.static_training import (
        TrainingText,
        as_training_pairs,
        train_static_embedder,
    )

    items = [t if isinstance(t, TrainingText) else TrainingText(str(t)) for t in texts]
    items = [t for t in items if t.text and t.text.strip()]
    if not items:
        raise ClueError("the embedder needs texts to learn from; none were given")
    labelled = as_training_pairs(pairs)
    # the n-gram idf also sees the pairs' sentences: short questions weigh their words too
    corpus = [t.text for t in items] + sorted(
        {s for p in labelled for s in (p.sentence1, p.sentence2)}
    )
    grouped = [t for t in posts or () if t and t.strip()]
    lsa_posts = grouped if len(grouped) >= char_ngram.LSA_FEW_POSTS else [t.text for t in items]
    for part in embedder_parts(spec):  # a wrong setting stops before anything is trained
        if _trainable_model_dir(part) is not None:
            static_settings(part)
    written: list[Path] = []
    for part in embedder_parts(spec):
        if part.get("kind") == "char_ngram":
            path = settings.resolve_path(str(part["path"]))
            projection = str(part.get("projection") or "random")
            say(
                f"fitting character n-gram idf on {len(corpus)} texts"
                + (f", its LSA projection on {len(lsa_posts)}" if projection == "lsa" else "")
            )
            written.append(
                fit_char_ngram(
                    path,
                    corpus,
                    int(part.get("dim") or CHAR_NGRAM_DIM),
                    projection=projection,
                    # the pairs' short questions weigh the idf, not the directions of posts
                    posts=lsa_posts,
                )
            )
            continue
        directory = _trainable_model_dir(part)
        if directory is None:
            continue

        def step(done: int, total: int, loss: float, name: str = directory.name) -> None:
            say(f"training {name}: step {done}/{total}, loss {loss:.3f}")

        written.append(
            train_static_embedder(
                items, labelled, out_dir=directory, settings=static_settings(part), progress=step
            )
        )
    if not written:
        raise ClueError(
            "the configured embedder has no part to train here (a hub model or the packaged "
            "MiniLM); hint: add a char_ngram part or a sentence_transformers model under var/ "
            "in config/processing.yaml"
        )
    return written
