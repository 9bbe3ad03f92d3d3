"""The web app under test: a real database (SQLite or PostgreSQL), real
users with argon2 passwords, FastAPI's TestClient, and the forms' CSRF
tokens read from the pages as a browser would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from verification.accounts.users import add_user
from verification.transactions import transaction
from verification.web.app import create_app
from verification.web.config import WebConfig

PASSWORDS = {
    "alice": ("analyst", "alice-password-1"),
    "bob": ("supervisor", "bob-password-22"),
    "carol": ("admin", "carol-password-333"),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_users(engine: Engine) -> None:
    with transaction(engine) as session:
        for name, (role, password) in PASSWORDS.items():
            add_user(session, name, role=role, password=password, by="setup")


@dataclass
class Web:
    url: str
    engine: Engine
    config: WebConfig

    @contextmanager
    def client(self, **kwargs) -> Iterator[TestClient]:  # noqa: ANN003
        app = create_app(self.url, config=self.config, engine=self.engine)
        with TestClient(app, **kwargs) as client:
            yield client


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, name: str, password: str | None = None) -> str:
    """Log in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "name": name,
            "password": password or PASSWORDS[name][1],
            "csrf_token": csrf_of(page.text),
            "next": "/queue",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[-2000:]
    return client.get("/api/v1/me").json()["csrf_token"]
