"""What one platform's crawl reports (importable without Scrapy)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

FAILED = "failed"


@dataclass
class PlatformResult:
    platform: str
    run_id: int | None
    status: str
    pages: int = 0
    items: int = 0
    new_items: int = 0
    updated_items: int = 0
    errors: int = 0
    error_samples: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    stop_reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def failure_line(self) -> str:
        """One line saying why the platform failed."""
        sample = self.error_samples[0] if self.error_samples else {}
        why = sample.get("message") or "no page could be read"
        where = f" ({sample['url']})" if sample.get("url") else ""
        return f"platform '{self.platform}' failed: {why}{where}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlatformResult:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
