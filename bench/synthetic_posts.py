"""Many realistic Chinese posts for the speed benchmark, made from the project's own demo
corpus (clue_pipeline/demo/corpus.jsonl) and gazetteer (config/gazetteer.yaml).

Each demo post about a problem is a template: its place names (roads, communities,
landmarks, streets, districts of the demo city) are swapped for other places of the same
kind, consistently within one generated problem, so one template yields many different
problems. A generated problem has 1 to 8 posts (a long tail, as on real platforms), each a
variant of the template text: sentences dropped or reordered, a colloquial opening or
closing, a date or a count changed. Demo noise posts give the noise, varied the same way.
Posts are spread over ``days`` days, so the grouping window matters."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from clue_pipeline.demo.corpus import load_corpus

OPENINGS = (
    "",
    "",
    "",
    "求助：",
    "再反映一次，",
    "有没有人管管？",
    "@12345 ",
    "各位邻居，",
    "说一下，",
    "投诉：",
    "急！",
    "又来了，",
)
CLOSINGS = (
    "",
    "",
    "",
    "希望有关部门尽快处理。",
    "谢谢！",
    "已经好几天了。",
    "麻烦转给相关部门。",
    "大家有同样情况吗？",
    "附图。",
    "拜托了！！",
    "这都第三次反映了。",
)
SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class SyntheticPost:
    platform: str
    external_id: str
    title: str | None
    text: str
    author: str
    published_at: datetime
    likes: int
    comments: int
    reposts: int
    location_text: str | None
    problem: int | None = None  # the generated problem it is about (None: noise)

    def as_item(self) -> dict[str, object]:
        """The shape ``upsert_posts`` takes."""
        return {
            "external_id": self.external_id,
            "url": f"http://bench.invalid/{self.platform}/{self.external_id}",
            "title": self.title,
            "text": self.text,
            "author": self.author,
            "published_at": self.published_at,
            "likes": self.likes,
            "comments": self.comments,
            "reposts": self.reposts,
            "location_text": self.location_text,
        }


def place_names(gazetteer: Path) -> dict[str, list[str]]:
    """Names of the demo city by kind (road, community, landmark, street, district)."""
    data = yaml.safe_load(gazetteer.read_text(encoding="utf-8"))
    kinds: dict[str, set[str]] = {k: set() for k in ("road", "community", "landmark", "street")}
    kinds["district"] = set()
    for district in data.get("districts", []):
        kinds["district"].add(district["name"])
        for street in district.get("streets", []):
            kinds["street"].add(street["name"])
            kinds["road"].update(street.get("roads", []))
            for community in street.get("communities", []):
                kinds["community"].add(community["name"])
                kinds["community"].update(community.get("aliases", []))
    for landmark in data.get("landmarks", []):
        kinds["landmark"].add(landmark["name"])
        kinds["landmark"].update(landmark.get("aliases", []))
    return {kind: sorted(names) for kind, names in kinds.items()}


class PostGenerator:
    """Deterministic for a seed."""

    def __init__(self, gazetteer: Path, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        corpus = load_corpus()
        self.problems = [p for p in corpus if not p.is_noise]
        self.noise = [p for p in corpus if p.is_noise]
        self.names = place_names(gazetteer)
        self._kind_of = {n: k for k, names in self.names.items() for n in names}
        # longest first, so 东湖公园 is swapped as a landmark, not as 东湖 + 公园
        ordered = sorted(self._kind_of, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(n) for n in ordered))
        self.authors = [p.author for p in corpus] + [f"用户{n:05d}" for n in range(5000)]

    def _swap_places(self, text: str | None, mapping: dict[str, str]) -> str | None:
        if text is None:
            return None

        def swap(match: re.Match[str]) -> str:
            name = match.group(0)
            if name not in mapping:
                mapping[name] = self.rng.choice(self.names[self._kind_of[name]])
            return mapping[name]

        return self._pattern.sub(swap, text)

    def _vary(self, text: str) -> str:
        rng = self.rng
        sentences = [s for s in SENTENCE_END.split(text) if s]
        if len(sentences) > 2 and rng.random() < 0.4:
            sentences.pop(rng.randrange(1, len(sentences)))
        if len(sentences) > 2 and rng.random() < 0.2:
            i = rng.randrange(1, len(sentences) - 1)
            sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
        body = "".join(sentences)
        if rng.random() < 0.3:
            body = NUMBER.sub(lambda m: str(max(1, int(m.group(0)) + rng.randint(-2, 3))), body)
        return f"{rng.choice(OPENINGS)}{body}{rng.choice(CLOSINGS)}"

    def posts(self, count: int, *, now: datetime, days: int = 180) -> Iterator[SyntheticPost]:
        """``count`` posts, about 80 % about problems and 20 % noise."""
        rng = self.rng
        made = 0
        problem_no = 0
        while made < count:
            if rng.random() < 0.2:
                template = rng.choice(self.noise)
                size = 1
            else:
                template = rng.choice(self.problems)
                size = min(8, int(rng.paretovariate(1.3)))
            problem_no += 1
            mapping: dict[str, str] = {}
            title = self._swap_places(template.title, mapping)
            text = self._swap_places(template.text, mapping) or template.text
            location = self._swap_places(template.location, mapping)
            start = now - timedelta(minutes=rng.randrange(days * 24 * 60))
            for n in range(size):
                if made >= count:
                    return
                made += 1
                published = min(now, start + timedelta(minutes=rng.randrange(0, 6 * 24 * 60)))
                yield SyntheticPost(
                    platform=template.platform if n == 0 else rng.choice(_PLATFORMS),
                    external_id=f"s{made:07d}",
                    title=title if (n == 0 or rng.random() < 0.3) else None,
                    text=self._vary(text),
                    author=rng.choice(self.authors),
                    published_at=published,
                    likes=int(rng.expovariate(1 / 20)),
                    comments=int(rng.expovariate(1 / 5)),
                    reposts=int(rng.expovariate(1 / 3)),
                    location_text=location if rng.random() < 0.3 else None,
                    problem=None if template.is_noise else problem_no,
                )


_PLATFORMS = ("city_forum", "gov_board", "short_video", "district_news", "microblog")
