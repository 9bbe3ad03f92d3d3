"""The demo corpus: posts of the fictional city 云江市 written by this project,
one JSON object per line (see the demo city contract). Loaded and validated
here; the demo platforms serve these posts and the tests measure against
their labels."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clue_pipeline.errors import ConfigError

DemoPlatform = Literal["city_forum", "gov_board", "short_video", "district_news", "microblog"]
PLATFORMS: tuple[str, ...] = DemoPlatform.__args__  # type: ignore[attr-defined]
NOISE = "noise"


class DemoPost(BaseModel):
    """One post of the demo corpus with its labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^d\d{4}$")
    platform: DemoPlatform
    title: str | None
    text: str = Field(min_length=1)
    author: str = Field(min_length=1)
    age_minutes: int = Field(ge=0, description="minutes before the demo starts it was posted")
    likes: int = Field(ge=0)
    comments: int = Field(ge=0)
    reposts: int = Field(ge=0)
    location: str | None
    media: list[str]
    problem: str | None = Field(pattern=r"^p\d{3}$")
    category: str = Field(min_length=1)
    item: str | None
    urgent: bool
    district: str | None

    @model_validator(mode="after")
    def _labels_agree(self) -> DemoPost:
        if self.category == NOISE:
            if self.problem is not None or self.item is not None or self.urgent:
                raise ValueError("a noise post has problem null, item null and urgent false")
        elif self.problem is None or self.item is None:
            raise ValueError("a post about a problem names its problem id and item")
        return self

    @property
    def is_noise(self) -> bool:
        return self.category == NOISE


def _default_path() -> Path:
    return Path(str(resources.files("clue_pipeline.demo") / "corpus.jsonl"))


def load_corpus(path: str | Path | None = None) -> list[DemoPost]:
    """Read and validate the corpus (default: the packaged ``corpus.jsonl``).

    Raises ConfigError naming the line and field of the first bad record; ids
    must be unique and every post of one problem must carry the same labels."""
    file = Path(path) if path is not None else _default_path()
    posts: list[DemoPost] = []
    seen: set[str] = set()
    problems: dict[str, tuple[str, str | None, str | None, bool]] = {}
    with file.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                post = DemoPost.model_validate(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{file}: line {number}: not JSON: {exc.msg}") from None
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"]) or "(record)"
                raise ConfigError(f"{file}: line {number}: {where}: {err['msg']}") from None
            if post.id in seen:
                raise ConfigError(f"{file}: line {number}: id: {post.id!r} is used twice")
            seen.add(post.id)
            if post.problem is not None:
                labels = (post.category, post.item, post.district, post.urgent)
                first = problems.setdefault(post.problem, labels)
                if first != labels:
                    raise ConfigError(
                        f"{file}: line {number}: problem {post.problem} has labels {labels}, "
                        f"but an earlier post of it has {first}"
                    )
            posts.append(post)
    return posts


def corpus_stats(posts: list[DemoPost] | None = None) -> dict[str, object]:
    """Counts that describe the corpus (posts, per platform, noise, urgent, problems...)."""
    posts = load_corpus() if posts is None else posts
    platforms_of: dict[str, set[str]] = {}
    for post in posts:
        if post.problem is not None:
            platforms_of.setdefault(post.problem, set()).add(post.platform)
    return {
        "posts": len(posts),
        "per_platform": dict(Counter(p.platform for p in posts)),
        "noise": sum(p.is_noise for p in posts),
        "urgent_posts": sum(p.urgent for p in posts),
        "urgent_problems": len({p.problem for p in posts if p.urgent}),
        "problems": len(platforms_of),
        "problems_on_several_platforms": sum(len(v) >= 2 for v in platforms_of.values()),
        "per_category": dict(Counter(p.category for p in posts if not p.is_noise)),
        "per_district": dict(Counter(p.district for p in posts if p.district)),
    }
