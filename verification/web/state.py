"""What every request of one app shares: the database engine, the web
settings, the login limiter and the presenter (masking, pseudonyms)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from verification.web.config import WebConfig
from verification.web.present import Presenter
from verification.web.ratelimit import LoginLimiter


@dataclass
class WebState:
    engine: Engine
    config: WebConfig
    limiter: LoginLimiter
    presenter: Presenter
    database_shown: str  # the URL without its password


def web_state(request: Request) -> WebState:
    return request.app.state.web


@contextmanager
def reading(request: Request) -> Iterator[Session]:
    """A session for reads (and the small writes of logging in)."""
    session = sessionmaker(bind=web_state(request).engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def acting(request: Request) -> Iterator[Session]:
    """One workflow action's transaction (``verification.transactions``)."""
    from verification.transactions import transaction

    with transaction(web_state(request).engine) as session:
        yield session
