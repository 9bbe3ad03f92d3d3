"""Settings of the web UI, read from the settings registry
(``clue_pipeline.settings``: CLUES_WEB_*) and validated when the app starts:
a wrong value is one line naming the variable, what was expected and a hint."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clue_pipeline import settings
from clue_pipeline.errors import ConfigError


class WebConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    login_attempts: int = Field(5, ge=1, le=1000)
    login_window_minutes: int = Field(15, ge=1, le=24 * 60)
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    page_size: int = Field(50, ge=5, le=500)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_hours)

    @property
    def login_window(self) -> timedelta:
        return timedelta(minutes=self.login_window_minutes)


_KEYS = {
    "session_hours": ("web_session_hours", "a number of hours > 0, e.g. 12"),
    "login_attempts": ("web_login_attempts", "a whole number of attempts >= 1, e.g. 5"),
    "login_window_minutes": ("web_login_window_minutes", "whole minutes >= 1, e.g. 15"),
    "secure_cookies": ("web_secure_cookies", "auto, always or never"),
}


def load_web_config() -> WebConfig:
    values = {field: settings.get(name) for field, (name, _) in _KEYS.items()}
    try:
        return WebConfig.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0])
        name, hint = _KEYS[field]
        env = next(s.env for s in settings.SETTINGS if s.name == name)
        raise ConfigError(
            f"{env}: expected {hint}, got {values[field]!r}; hint: set it to a valid value "
            "or unset it for the default"
        ) from None
