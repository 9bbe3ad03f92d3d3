"""Train a StaticEmbedding sentence-transformers model over character (or piece) tokens, from
scratch.

The packaged MiniLM cannot read Chinese. A static embedding (one trained vector per
character, averaged) learns which characters mean the same thing from the operator's own
posts in a couple of CPU minutes. Two objectives, summed:

- MultipleNegativesRankingLoss on pairs that mean the same: a post's title with its body, two
  random crops of one post, and the same-meaning pairs of labelled pair files. A labelled
  pair's anchor also gets one of its known different-meaning partners as a hard negative.
- CoSENT on labelled pairs (both labels), one pair file at a time: the cosine of every
  same-meaning pair should rank above that of every different-meaning pair of the batch. This
  is what ROC-AUC measures, and it teaches the model the near misses (same words, another
  question) that in-batch negatives never show.

The tokens are single characters (``tokens: characters``, the default) or pieces
(``tokens: pieces``): a Unigram vocabulary of characters and frequent two-character words,
learned from the same texts, so that "外来务工人员" reads as 外来 / 务工 / 人员 (each text is
cut into its most likely pieces). A character model knows which characters mean alike; a
piece model which words do. The two disagree where the other is weak, so an embedder mixes
both.

The result is a normal sentence-transformers model directory (``SentenceTransformer(path)``
loads it) that FAISS can index. Characters never seen in training map to ``[UNK]``, whose
vector is zero, so they do not move a text's direction.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clue_pipeline.errors import ClueError

log = logging.getLogger(__name__)

#: one token per CJK character, latin word, digit run or other non-space symbol
TOKEN_PATTERN = r"[\u3400-\u9fff\uf900-\ufaff]|[a-z]+|[0-9]+|[^\sa-z0-9\u3400-\u9fff\uf900-\ufaff]"
#: runs of CJK characters (cut into pieces by the Unigram model), latin words, digit runs or
#: other non-space symbols
RUN_PATTERN = r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z]+|[0-9]+|[^\sa-z0-9\u3400-\u9fff\uf900-\ufaff]"
UNKNOWN = "[UNK]"
#: the token kinds a static model can read (``StaticTrainingSettings.tokens``)
TOKENIZATIONS = ("characters", "pieces")
#: the ``tokenizers`` model type each tokenization saves (tokenizer.json "model.type")
TOKENIZER_MODEL_TYPES = {"characters": "WordLevel", "pieces": "Unigram"}


@dataclass(frozen=True)
class TrainingText:
    """A post to learn from: the body, and the title when the post has one."""

    text: str
    title: str | None = None


@dataclass(frozen=True)
class TrainingPair:
    """Two sentences and whether they mean the same (1) or not (0); ``source`` names the
    file they came from (CoSENT compares pairs of one source with each other)."""

    sentence1: str
    sentence2: str
    label: int = 1
    source: str = ""


@dataclass(frozen=True)
class StaticTrainingSettings:
    embedding_dim: int = 256
    epochs: int = 4
    batch_size: int = 256
    learning_rate: float = 0.05
    crops_per_text: int = 2
    min_token_count: int = 1
    scale: float = 20.0
    #: weight of the CoSENT term on labelled pairs (0: ranking loss only)
    pair_loss_weight: float = 1.0
    pair_batch_size: int = 256
    #: a known different-meaning partner as a third column of the ranking loss
    hard_negatives: bool = True
    seed: int = 13
    #: "characters" or "pieces" (TOKENIZATIONS)
    tokens: str = "characters"
    #: pieces only: the vocabulary size and the longest piece, in characters
    vocabulary_size: int = 8000
    max_piece_chars: int = 2


def build_char_tokenizer(texts: Iterable[str], min_count: int = 1):  # noqa: ANN201
    """A ``tokenizers.Tokenizer``: NFKC + lowercase, then single characters (CJK), words
    (latin) and digit runs, mapped by a vocabulary counted on ``texts``."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordLevel

    tokenizer = Tokenizer(WordLevel({UNKNOWN: 0}, unk_token=UNKNOWN))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(TOKEN_PATTERN), behavior="isolated")
    counts: Counter[str] = Counter()
    for text in texts:
        pieces = tokenizer.pre_tokenizer.pre_tokenize_str(tokenizer.normalizer.normalize_str(text))
        counts.update(piece for piece, _ in pieces)
    vocab = {UNKNOWN: 0}
    for token, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if count >= min_count and not token.isspace():
            vocab[token] = len(vocab)
    tokenizer.model = WordLevel(vocab, unk_token=UNKNOWN)
    return tokenizer


def build_piece_tokenizer(
    texts: Iterable[str], vocabulary_size: int = 8000, max_piece_chars: int = 2
):  # noqa: ANN201
    """A ``tokenizers.Tokenizer``: NFKC + lowercase, then a Unigram model learned on
    ``texts`` that cuts each run of CJK characters into its most likely pieces (characters
    and words of at most ``max_piece_chars``); latin words and digit runs stay whole. Every
    character of ``texts`` is in the vocabulary, so no text is read as unknown that the
    training texts could read."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, trainers
    from tokenizers.models import Unigram

    tokenizer = Tokenizer(Unigram())
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(RUN_PATTERN), "isolated")]
    )
    trainer = trainers.UnigramTrainer(
        vocab_size=vocabulary_size,
        special_tokens=[UNKNOWN],
        unk_token=UNKNOWN,
        max_piece_length=max_piece_chars,
        shrinking_factor=0.75,
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer)
    return tokenizer


def tokenization_of(model_dir: str | Path) -> str | None:
    """The tokenization (TOKENIZATIONS) of a static model saved by ``train_static_embedder``;
    None when the directory holds no tokenizer this module writes."""
    import json

    try:
        data = json.loads((Path(model_dir) / "tokenizer.json").read_text(encoding="utf-8"))
        model_type = data["model"]["type"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return next((k for k, v in TOKENIZER_MODEL_TYPES.items() if v == model_type), None)


def as_training_pairs(pairs: Iterable[Any]) -> list[TrainingPair]:
    """TrainingPair, (a, b) (same meaning), (a, b, label) or anything with sentence1,
    sentence2, label (and source) attributes, as TrainingPairs; empty sentences dropped."""
    out = []
    for pair in pairs:
        if isinstance(pair, TrainingPair):
            item = pair
        elif isinstance(pair, tuple):
            label = int(pair[2]) if len(pair) > 2 else 1
            source = str(pair[3]) if len(pair) > 3 else ""
            item = TrainingPair(str(pair[0]), str(pair[1]), label, source)
        else:
            item = TrainingPair(
                str(pair.sentence1),
                str(pair.sentence2),
                int(pair.label),
                str(getattr(pair, "source", "") or ""),
            )
        if item.sentence1.strip() and item.sentence2.strip():
            out.append(item)
    return out


def training_pairs(
    texts: Sequence[TrainingText],
    positives: Sequence[tuple[str, str]],
    rng: random.Random,
    crops_per_text: int,
) -> list[tuple[str, str]]:
    """(anchor, positive) pairs for one epoch: title/body, random crops, given positives."""
    pairs: list[tuple[str, str]] = list(positives)
    for item in texts:
        body = item.text.strip()
        if item.title and item.title.strip() and item.title.strip() != body:
            pairs.append((item.title.strip(), body))
        if len(body) >= 16:
            for _ in range(crops_per_text):
                pairs.append((_crop(body, rng), _crop(body, rng)))
    rng.shuffle(pairs)
    return pairs


def _crop(text: str, rng: random.Random) -> str:
    length = rng.randint(max(8, len(text) // 4), max(8, len(text) // 2))
    start = rng.randint(0, len(text) - length)
    return text[start : start + length]


def _pair_sets(pairs: Sequence[TrainingPair]) -> list[list[TrainingPair]]:
    """Labelled pairs by source, keeping the sources that have both labels (CoSENT needs a
    same-meaning and a different-meaning pair to compare)."""
    by_source: dict[str, list[TrainingPair]] = defaultdict(list)
    for pair in pairs:
        by_source[pair.source].append(pair)
    return [items for items in by_source.values() if {p.label for p in items} >= {0, 1}]


def train_static_embedder(
    texts: Sequence[TrainingText | str],
    pairs: Sequence[Any] | None = None,
    *,
    out_dir: str | Path,
    epochs: int | None = None,
    seed: int | None = None,
    settings: StaticTrainingSettings | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> Path:
    """Train a character StaticEmbedding model and save it to ``out_dir``.

    ``texts``: posts (``TrainingText`` or plain strings); ``pairs``: optional labelled
    sentence pairs (see ``as_training_pairs``; a bare (a, b) means the same). ``progress(step,
    total_steps, loss)`` is called after every batch. Returns the model directory."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import (
        CoSENTLoss,
        MultipleNegativesRankingLoss,
    )
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    base = settings or StaticTrainingSettings()
    settings = StaticTrainingSettings(
        **{
            **base.__dict__,
            **({"epochs": epochs} if epochs is not None else {}),
            **({"seed": seed} if seed is not None else {}),
        }
    )
    items = [t if isinstance(t, TrainingText) else TrainingText(text=t) for t in texts]
    items = [t for t in items if t.text and t.text.strip()]
    labelled = as_training_pairs(pairs or ())
    positives = [(p.sentence1, p.sentence2) for p in labelled if p.label == 1]
    if not items and not positives:
        raise ClueError(
            "cannot train the embedder: no texts and no same-meaning pairs to learn from"
        )

    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    np.random.seed(settings.seed)
    vocabulary_texts = [t.text for t in items] + [t.title for t in items if t.title]
    vocabulary_texts += [s for p in labelled for s in (p.sentence1, p.sentence2)]
    if settings.tokens == "pieces":
        tokenizer = build_piece_tokenizer(
            vocabulary_texts, settings.vocabulary_size, settings.max_piece_chars
        )
    elif settings.tokens == "characters":
        tokenizer = build_char_tokenizer(vocabulary_texts, settings.min_token_count)
    else:
        raise ClueError(
            f"static embedder tokens: expected one of {', '.join(TOKENIZATIONS)}, got "
            f"{settings.tokens!r}"
        )
    static = StaticEmbedding(tokenizer, embedding_dim=settings.embedding_dim)
    torch.nn.init.normal_(static.embedding.weight, std=0.1)
    unknown = tokenizer.token_to_id(UNKNOWN)
    with torch.no_grad():
        static.embedding.weight[unknown] = 0.0
    model = SentenceTransformer(modules=[static], device="cpu")
    ranking_loss = MultipleNegativesRankingLoss(model, scale=settings.scale)
    pair_loss = CoSENTLoss(model, scale=settings.scale)
    optimizer = torch.optim.Adam(static.parameters(), lr=settings.learning_rate)

    different: dict[str, list[str]] = defaultdict(list)
    for p in labelled:
        if p.label == 0:
            different[p.sentence1].append(p.sentence2)
            different[p.sentence2].append(p.sentence1)
    sentence_pool = sorted({s for p in labelled for s in (p.sentence1, p.sentence2)})
    use_negatives = settings.hard_negatives and bool(different)
    pair_sets = _pair_sets(labelled) if settings.pair_loss_weight > 0 else []

    def embed(batch: Sequence[str]):  # noqa: ANN202 - a torch tensor
        return static(static.preprocess(list(batch)))["sentence_embedding"]

    per_epoch = [training_pairs(items, positives, rng, settings.crops_per_text)]
    steps_per_epoch = -(-len(per_epoch[0]) // settings.batch_size)
    total = steps_per_epoch * settings.epochs
    log.info(
        "training static embedder: %s, vocabulary %d, %d ranking pairs/epoch, %d labelled pair "
        "set(s) for CoSENT, hard negatives %s, %d epochs",
        settings.tokens,
        tokenizer.get_vocab_size(),
        len(per_epoch[0]),
        len(pair_sets),
        "on" if use_negatives else "off",
        settings.epochs,
    )
    started, step = time.monotonic(), 0
    model.train()
    for epoch in range(settings.epochs):
        loss = None
        epoch_pairs = (
            per_epoch[0]
            if epoch == 0
            else training_pairs(items, positives, rng, settings.crops_per_text)
        )
        for start in range(0, len(epoch_pairs), settings.batch_size):
            batch = epoch_pairs[start : start + settings.batch_size]
            if len(batch) < 2:
                continue
            columns = [embed([a for a, _ in batch]), embed([b for _, b in batch])]
            if use_negatives:
                columns.append(
                    embed(
                        [
                            rng.choice(different[a])
                            if a in different
                            else rng.choice(sentence_pool)
                            for a, _ in batch
                        ]
                    )
                )
            loss = ranking_loss.compute_loss_from_embeddings(columns, None)
            if pair_sets:
                chosen = rng.choice(pair_sets)
                sample = rng.sample(chosen, min(settings.pair_batch_size, len(chosen)))
                left = embed([p.sentence1 for p in sample])
                right = embed([p.sentence2 for p in sample])
                labels = torch.tensor([float(p.label) for p in sample])
                loss = loss + settings.pair_loss_weight * pair_loss.compute_loss_from_embeddings(
                    [left, right], labels
                )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                static.embedding.weight[unknown] = 0.0
            step += 1
            if progress is not None:
                progress(step, total, loss.item())
        if loss is None:  # every batch had fewer than 2 pairs: the ranking loss needs two
            log.warning(
                "static embedder: %d training pair(s) (titles with bodies, crops of posts of "
                "16 or more characters, same-meaning pairs), fewer than 2: nothing to learn; "
                "the model is saved untrained; hint: give it more posts",
                len(epoch_pairs),
            )
            break
        log.info("epoch %d/%d done, loss %.3f", epoch + 1, settings.epochs, loss.item())
    model.eval()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    log.info("static embedder saved to %s after %.0f s", out, time.monotonic() - started)
    return out
