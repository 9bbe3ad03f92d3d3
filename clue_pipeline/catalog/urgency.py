"""Urgency rules from ``config/urgency.yaml``: safety hazards and basic-living
matters found by configurable terms and patterns, hedges and negations that
cancel a hit, and a score that combines the groups hit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clue_pipeline.catalog.loader import describe_error
from clue_pipeline.catalog.matcher import normalise
from clue_pipeline.errors import ConfigError

SENTENCE_END = re.compile(r"[。！？!?；;\n]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleGroup(_Strict):
    reason: Annotated[str, Field(min_length=1)]
    weight: float = Field(1.0, gt=0, le=1)
    terms: list[Annotated[str, Field(min_length=1)]] = []
    patterns: list[str] = []

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {pattern!r} is not a valid regular expression: {exc}"
                ) from None
        return patterns


class Hedges(_Strict):
    terms: list[Annotated[str, Field(min_length=1)]] = []
    negations: list[Annotated[str, Field(min_length=1)]] = []
    negation_window: int = Field(3, ge=0, le=20)


class UrgencyFile(_Strict):
    threshold: float = Field(0.8, gt=0, le=1)
    item_hint_weight: float = Field(0.3, ge=0, le=1)
    groups: list[RuleGroup] = Field(min_length=1)
    hedges: Hedges = Hedges()


_MODEL_UNDER: dict[str | None, type[BaseModel]] = {
    None: UrgencyFile,
    "groups": RuleGroup,
    "hedges": Hedges,
}
_HINTS = {
    "reason": "a short label shown to analysts, e.g. 安全隐患",
    "weight": "a number between 0 and 1",
    "patterns": "Python regular expressions; quote them with single quotes",
    "threshold": "a number between 0 and 1, e.g. 0.8",
    "groups": "the rules need at least one group",
}


@dataclass(frozen=True)
class Urgency:
    urgent: bool
    score: float
    reasons: list[str]
    matched: list[str]


class UrgencyRules:
    """Compiled urgency rules; ``assess`` is read-only and thread-safe."""

    def __init__(self, config: UrgencyFile) -> None:
        self.config = config
        self._groups = []
        for group in config.groups:
            alternatives = sorted({normalise(t) for t in group.terms}, key=len, reverse=True)
            regexes = [re.compile("|".join(map(re.escape, alternatives)))] if alternatives else []
            regexes += [re.compile(p) for p in group.patterns]
            self._groups.append((group, regexes))
        hedges = sorted({normalise(t) for t in config.hedges.terms}, key=len, reverse=True)
        self._hedge = re.compile("|".join(map(re.escape, hedges))) if hedges else None
        negations = sorted({normalise(t) for t in config.hedges.negations}, key=len, reverse=True)
        self._negation = (
            re.compile("(?:" + "|".join(map(re.escape, negations)) + ")$") if negations else None
        )

    @classmethod
    def load(cls, path: str | Path) -> UrgencyRules:
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read the urgency rules ({exc.strerror})") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{file}: not valid YAML{where}; hint: check quotes") from None
        try:
            return cls(UrgencyFile.model_validate(data if data is not None else {}))
        except ValidationError as exc:
            raise ConfigError(describe_error(exc, data, str(file), _MODEL_UNDER, _HINTS)) from None

    def assess(self, text: str, hint: str | None = None) -> Urgency:
        """Is ``text`` urgent? ``hint`` is the matched item's urgency hint
        (``urgent`` adds ``item_hint_weight`` of evidence)."""
        text = normalise(text)
        reasons: list[str] = []
        matched: list[str] = []
        remaining = 1.0
        for group, regexes in self._groups:
            hits = [m for regex in regexes for m in regex.finditer(text) if self._counts(text, m)]
            if not hits:
                continue
            reasons.append(group.reason)
            matched.extend(dict.fromkeys(m.group(0) for m in hits))
            remaining *= 1 - group.weight
        if hint == "urgent" and self.config.item_hint_weight:
            remaining *= 1 - self.config.item_hint_weight
            reasons.append("事项提示紧急")
        score = round(1 - remaining, 4)
        return Urgency(score >= self.config.threshold, score, reasons, list(dict.fromkeys(matched)))

    def _counts(self, text: str, hit: re.Match[str]) -> bool:
        """False when a hedge shares the hit's sentence or a negation precedes it."""
        if self._negation is not None:
            window = self.config.hedges.negation_window
            before = text[max(0, hit.start() - window - 4) : hit.start()]
            for cut in range(0, window + 1):
                if self._negation.search(before[: len(before) - cut] if cut else before):
                    return False
        if self._hedge is None:
            return True
        start = max((m.end() for m in SENTENCE_END.finditer(text, 0, hit.start())), default=0)
        end_match = SENTENCE_END.search(text, hit.end())
        end = end_match.start() if end_match else len(text)
        return self._hedge.search(text, start, end) is None
