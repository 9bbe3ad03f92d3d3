"""Train a StaticEmbedding sentence-transformers model over character tokens, from scratch.

The packaged MiniLM cannot read Chinese. A static embedding (one trained vector per
character, averaged) learns which characters mean the same thing from the operator's own
posts in a couple of CPU minutes, with MultipleNegativesRankingLoss on pairs that need no
labels: a post's title with its body, and two random crops of one post. Labelled paraphrase
pairs, when given, are added as positives. The result is a normal sentence-transformers
model directory (``SentenceTransformer(path)`` loads it) that FAISS can index.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clue_pipeline.errors import ClueError

log = logging.getLogger(__name__)

#: one token per CJK character, latin word, digit run or other non-space symbol
TOKEN_PATTERN = r"[\u3400-\u9fff\uf900-\ufaff]|[a-z]+|[0-9]+|[^\sa-z0-9\u3400-\u9fff\uf900-\ufaff]"
UNKNOWN = "[UNK]"


@dataclass(frozen=True)
class TrainingText:
    """A post to learn from: the body, and the title when the post has one."""

    text: str
    title: str | None = None


@dataclass(frozen=True)
class StaticTrainingSettings:
    embedding_dim: int = 256
    epochs: int = 4
    batch_size: int = 256
    learning_rate: float = 0.05
    crops_per_text: int = 2
    min_token_count: int = 1
    scale: float = 20.0
    seed: int = 13


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


def train_static_embedder(
    texts: Sequence[TrainingText | str],
    pairs: Sequence[tuple[str, str]] | None = None,
    *,
    out_dir: str | Path,
    epochs: int | None = None,
    seed: int | None = None,
    settings: StaticTrainingSettings | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> Path:
    """Train a character StaticEmbedding model and save it to ``out_dir``.

    ``texts``: posts (``TrainingText`` or plain strings); ``pairs``: optional known
    paraphrase pairs (same meaning). ``progress(step, total_steps, loss)`` is called after
    every batch. Returns the model directory."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
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
    positives = [(a, b) for a, b in (pairs or ()) if a and b and a.strip() and b.strip()]
    if not items and not positives:
        raise ClueError("cannot train the embedder: no texts and no pairs to learn from")

    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    np.random.seed(settings.seed)
    vocabulary_texts = [t.text for t in items] + [t.title for t in items if t.title]
    vocabulary_texts += [s for pair in positives for s in pair]
    tokenizer = build_char_tokenizer(vocabulary_texts, settings.min_token_count)
    static = StaticEmbedding(tokenizer, embedding_dim=settings.embedding_dim)
    torch.nn.init.normal_(static.embedding.weight, std=0.1)
    model = SentenceTransformer(modules=[static], device="cpu")
    loss_fn = MultipleNegativesRankingLoss(model, scale=settings.scale)
    optimizer = torch.optim.Adam(static.parameters(), lr=settings.learning_rate)

    per_epoch = [training_pairs(items, positives, rng, settings.crops_per_text)]
    steps_per_epoch = -(-len(per_epoch[0]) // settings.batch_size)
    total = steps_per_epoch * settings.epochs
    log.info(
        "training static embedder: vocabulary %d, %d pairs/epoch, %d epochs",
        tokenizer.get_vocab_size(),
        len(per_epoch[0]),
        settings.epochs,
    )
    started, step = time.monotonic(), 0
    model.train()
    for epoch in range(settings.epochs):
        epoch_pairs = (
            per_epoch[0]
            if epoch == 0
            else training_pairs(items, positives, rng, settings.crops_per_text)
        )
        for start in range(0, len(epoch_pairs), settings.batch_size):
            batch = epoch_pairs[start : start + settings.batch_size]
            if len(batch) < 2:
                continue
            anchors = static(static.preprocess([a for a, _ in batch]))["sentence_embedding"]
            targets = static(static.preprocess([b for _, b in batch]))["sentence_embedding"]
            loss = loss_fn.compute_loss_from_embeddings([anchors, targets], None)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if progress is not None:
                progress(step, total, loss.item())
        log.info("epoch %d/%d done, loss %.3f", epoch + 1, settings.epochs, loss.item())
    model.eval()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    log.info("static embedder saved to %s after %.0f s", out, time.monotonic() - started)
    return out
