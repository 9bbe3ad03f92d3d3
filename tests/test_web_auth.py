"""Accounts and safety of the web UI and API, against a real database:
argon2 passwords, login through the form (its own CSRF token), the session
cookie's flags, failed logins limited per user and address, CSRF on every
form and on cookie-authenticated API calls, API tokens, roles enforced on
the server (an analyst gets 403), security headers, and ``clues users``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from web_helpers import PASSWORDS, csrf_of, login

from clue_pipeline.storage.models import AuditEvent, User, WebSession
from verification.accounts import passwords
from verification.accounts.users import authenticate, set_active
from verification.errors import InvalidInput
from verification.transactions import transaction
from verification.web.config import WebConfig, load_web_config
from verification.web.ratelimit import LoginLimiter
from verification.web.security import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parents[1]
CLUES = Path(sys.executable).with_name("clues")


# ------------------------------------------------------------------ passwords


def test_passwords_are_argon2id_and_checked_whatever_the_user(sqlite_web) -> None:
    with transaction(sqlite_web.engine) as session:
        stored = session.scalars(select(User.password_hash).where(User.name == "alice")).one()
        assert stored.startswith("$argon2id$")
        assert "alice-password-1" not in stored
        assert authenticate(session, "alice", "alice-password-1").name == "alice"
        assert authenticate(session, "ALICE", "alice-password-1").name == "alice"
        assert authenticate(session, "alice", "wrong-password-1") is None
        assert authenticate(session, "nobody", "alice-password-1") is None
        assert authenticate(session, "bad name!", "x") is None
    assert passwords.verify_password(None, "anything") is False
    with pytest.raises(InvalidInput, match="expected at least 10"):
        passwords.hash_password("short")


def test_a_disabled_user_cannot_log_in_and_their_sessions_end(sqlite_web) -> None:
    with sqlite_web.client() as client:
        login(client, "alice")
        assert client.get("/queue").status_code == 200
        with transaction(sqlite_web.engine) as session:
            set_active(session, "alice", False, by="carol")
        assert client.get("/queue", follow_redirects=False).status_code == 303
        page = client.get("/login")
        answer = client.post(
            "/login",
            data={
                "name": "alice",
                "password": PASSWORDS["alice"][1],
                "csrf_token": csrf_of(page.text),
            },
        )
        assert answer.status_code == 401
    with transaction(sqlite_web.engine) as session:
        assert session.scalars(select(WebSession)).all() == []
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "carol"))
        assert list(actions) == ["user_disable"]


# ------------------------------------------------------------------ logging in


def test_every_page_and_endpoint_needs_a_login(sqlite_web) -> None:
    with sqlite_web.client() as client:
        for path in (
            "/",
            "/queue",
            "/clues/1",
            "/orders",
            "/orders/1",
            "/dashboard",
            "/reports/weekly",
            "/admin",
            "/account",
        ):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/login?next="), path
        for path in (
            "/api/v1/me",
            "/api/v1/clues",
            "/api/v1/clues/1",
            "/api/v1/orders",
            "/api/v1/dashboard",
            "/api/v1/users",
            "/api/v1/openapi.json",
        ):
            answer = client.get(path)
            assert answer.status_code == 401, path
            assert answer.json()["error"]["code"] == "not_authenticated"
        assert client.post("/api/v1/clues/1/claim").status_code == 401
        assert client.post("/clues/1/claim", data={"csrf_token": "x"}).status_code == 401
        assert client.get("/static/app.css").status_code == 200  # assets need none


def test_login_sets_an_http_only_lax_cookie_and_logout_ends_the_session(sqlite_web) -> None:
    with sqlite_web.client() as client:
        page = client.get("/login?next=/orders")
        answer = client.post(
            "/login",
            data={
                "name": "alice",
                "password": "alice-password-1",
                "csrf_token": csrf_of(page.text),
                "next": "/orders",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/orders"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("clues_session=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        me = client.get("/api/v1/me").json()
        assert me["name"] == "alice" and me["role"] == "analyst" and me["via"] == "cookie"
        token = me["csrf_token"]
        assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
        assert (
            client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
            == 303
        )
        assert client.get("/api/v1/me").status_code == 401


def test_cookie_is_secure_over_https_and_when_asked(sqlite_web) -> None:
    for base, mode, secure in (
        ("https://clues.example", "auto", True),
        ("http://testserver", "always", True),
        ("https://clues.example", "never", False),
    ):
        sqlite_web.config = WebConfig(secure_cookies=mode)
        with sqlite_web.client(base_url=base) as client:
            page = client.get("/login")
            answer = client.post(
                "/login",
                data={
                    "name": "bob",
                    "password": PASSWORDS["bob"][1],
                    "csrf_token": csrf_of(page.text),
                },
                follow_redirects=False,
            )
            assert ("Secure" in answer.headers["set-cookie"]) is secure, (base, mode)


def test_login_needs_the_forms_csrf_token(sqlite_web) -> None:
    with sqlite_web.client() as client:
        client.get("/login")
        answer = client.post(
            "/login", data={"name": "alice", "password": "alice-password-1", "csrf_token": "forged"}
        )
        assert answer.status_code == 403
        assert "CSRF" in answer.text
        assert client.get("/api/v1/me").status_code == 401


def test_wrong_name_and_wrong_password_get_the_same_answer(sqlite_web) -> None:
    with sqlite_web.client() as client:
        answers = []
        for name, password in (("alice", "not-her-password"), ("nobody", "alice-password-1")):
            page = client.get("/login")
            answer = client.post(
                "/login",
                data={"name": name, "password": password, "csrf_token": csrf_of(page.text)},
            )
            answers.append((answer.status_code, "用户名或密码错误" in answer.text))
        assert answers == [(401, True), (401, True)]


def test_failed_logins_are_limited_per_user_and_address(sqlite_web) -> None:
    def attempt(client, name: str, password: str):  # noqa: ANN001, ANN202
        page = client.get("/login")
        return client.post(
            "/login",
            data={"name": name, "password": password, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )

    with sqlite_web.client() as client:
        assert [attempt(client, "alice", "wrong-password").status_code for _ in range(3)] == [
            401
        ] * 3
        # even the right password is refused until the window has passed
        blocked = attempt(client, "Alice", "alice-password-1")
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert "登录失败次数过多" in blocked.text
        # other users from the same address are not
        assert attempt(client, "bob", "bob-password-22").status_code == 303


def test_the_limiter_window_and_success_reset() -> None:
    now = [1000.0]
    limiter = LoginLimiter(attempts=2, window_seconds=60, clock=lambda: now[0])
    limiter.failed("alice", "10.0.0.1")
    limiter.failed("alice", "10.0.0.1")
    from verification.web.errors import TooManyAttempts

    with pytest.raises(TooManyAttempts, match=r"too many failed logins for alice from 10\.0\.0\.1"):
        limiter.check("alice", "10.0.0.1")
    limiter.check("alice", "10.0.0.2")  # another address
    limiter.check("bob", "10.0.0.1")  # another user
    now[0] += 61
    limiter.check("alice", "10.0.0.1")
    limiter.failed("alice", "10.0.0.1")
    limiter.succeeded("alice", "10.0.0.1")
    limiter.failed("alice", "10.0.0.1")
    limiter.check("alice", "10.0.0.1")


def test_session_lifetime_is_the_configured_one(sqlite_web) -> None:
    sqlite_web.config = WebConfig(session_hours=2)
    with sqlite_web.client() as client:
        login(client, "alice")
    with transaction(sqlite_web.engine) as session:
        row = session.scalars(select(WebSession)).one()
        assert row.expires_at - row.created_at == timedelta(hours=2)
        row.expires_at = row.created_at  # the session has ended
    with sqlite_web.client() as client:
        client.cookies.set("clues_session", "not-a-session")
        assert client.get("/api/v1/me").status_code == 401


def test_next_after_login_never_leaves_the_site(sqlite_web) -> None:
    with sqlite_web.client() as client:
        for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            client.cookies.clear()
            page = client.get("/login")
            answer = client.post(
                "/login",
                data={
                    "name": "bob",
                    "password": PASSWORDS["bob"][1],
                    "csrf_token": csrf_of(page.text),
                    "next": evil,
                },
                follow_redirects=False,
            )
            assert answer.headers["location"] == "/queue", evil


# ------------------------------------------------------------------ CSRF


def test_every_form_carries_the_csrf_token_and_posts_without_it_are_refused(sqlite_web) -> None:
    with sqlite_web.client() as client:
        token = login(client, "carol")
        for path in ("/queue", "/orders", "/dashboard", "/admin", "/account"):
            html = client.get(path).text
            forms = html.count('method="post"')
            assert forms and html.count(f'name="csrf_token" value="{token}"') >= forms, path
        for path, data in (
            ("/queue/claim-next", {}),
            ("/admin/users", {"name": "eve", "role": "admin", "password": "eve-password-1"}),
            ("/account/tokens", {"name": "x"}),
            ("/supervise", {}),
        ):
            assert client.post(path, data=data).status_code == 403, path
            assert client.post(path, data={**data, "csrf_token": "wrong"}).status_code == 403, path
        with transaction(sqlite_web.engine) as session:
            assert session.scalars(select(User).where(User.name == "eve")).first() is None


def test_cookie_api_calls_that_change_state_need_the_csrf_header(sqlite_web) -> None:
    with sqlite_web.client() as client:
        token = login(client, "alice")
        refused = client.post("/api/v1/clues/claim-next")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "csrf_failed"
        assert "X-CSRF-Token" in refused.json()["error"]["message"]
        ok = client.post("/api/v1/clues/claim-next", headers={"X-CSRF-Token": token})
        assert ok.status_code == 200 and ok.json() == {"clue": None}
        assert client.get("/api/v1/clues").status_code == 200  # reads need none


# ------------------------------------------------------------------ API tokens


def test_api_tokens_authenticate_without_csrf_and_can_be_revoked(sqlite_web) -> None:
    with sqlite_web.client() as client:
        token = login(client, "bob")
        made = client.post(
            "/api/v1/tokens", json={"name": "reports"}, headers={"X-CSRF-Token": token}
        )
        assert made.status_code == 201
        secret = made.json()["token"]
        assert secret.startswith("clues_") and made.json()["prefix"] == secret[:12]
    with sqlite_web.client() as client:
        bearer = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/me", headers=bearer).json()["via"] == "token"
        assert client.post("/api/v1/supervise", headers=bearer).status_code == 200
        listed = client.get("/api/v1/tokens", headers=bearer).json()["items"]
        assert [t["name"] for t in listed] == ["reports"] and "token" not in listed[0]
        assert client.delete(f"/api/v1/tokens/{listed[0]['id']}", headers=bearer).json()["revoked"]
        answer = client.get("/api/v1/me", headers=bearer)
        assert answer.status_code == 401 and "not valid" in answer.json()["error"]["message"]
        wrong = client.get("/api/v1/me", headers={"Authorization": "Bearer clues_guess"})
        assert wrong.status_code == 401


# ------------------------------------------------------------------ roles


ANALYST_FORBIDDEN_PAGES = ("/dashboard", "/reports/weekly", "/admin")
ANALYST_FORBIDDEN_API = (
    ("get", "/api/v1/dashboard", None),
    ("get", "/api/v1/stats", None),
    ("get", "/api/v1/platforms", None),
    ("get", "/api/v1/reports/weekly", None),
    ("get", "/api/v1/review/weekly", None),
    ("get", "/api/v1/orders/export?format=csv", None),
    ("post", "/api/v1/supervise", None),
    ("post", "/api/v1/orders/1/dispatch", {}),
    ("post", "/api/v1/orders/1/notes", {"text": "hurry"}),
    ("get", "/api/v1/users", None),
    ("post", "/api/v1/users", {"name": "eve", "role": "admin", "password": "eve-password-1"}),
    ("get", "/api/v1/config", None),
)


def test_an_analyst_is_refused_supervisor_and_admin_routes(web) -> None:
    with web.client() as client:
        token = login(client, "alice")
        for path in ANALYST_FORBIDDEN_PAGES:
            answer = client.get(path)
            assert answer.status_code == 403, path
            assert "alice is analyst: this needs the" in answer.text
        for path, data in (("/supervise", {}), ("/orders/1/dispatch", {}), ("/admin/users", {})):
            assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
        for method, path, body in ANALYST_FORBIDDEN_API:
            answer = client.request(method, path, json=body, headers={"X-CSRF-Token": token})
            assert answer.status_code == 403, path
            assert answer.json()["error"]["code"] == "forbidden", path
        nav = client.get("/queue").text
        assert 'href="/admin"' not in nav and 'href="/dashboard"' not in nav


def test_a_supervisor_reaches_reports_but_not_admin(sqlite_web) -> None:
    with sqlite_web.client() as client:
        login(client, "bob")
        assert client.get("/dashboard").status_code == 200
        assert client.get("/reports/weekly").status_code == 200
        assert client.get("/admin").status_code == 403
        assert client.get("/api/v1/users").status_code == 403


def test_an_admin_manages_users_through_the_page(sqlite_web) -> None:
    with sqlite_web.client() as client:
        token = login(client, "carol")
        page = client.get("/admin")
        assert page.status_code == 200 and "CLUES_WEB_LOGIN_ATTEMPTS" in page.text
        added = client.post(
            "/admin/users",
            data={
                "csrf_token": token,
                "name": "dave",
                "role": "analyst",
                "password": "dave-password-1",
            },
            follow_redirects=False,
        )
        assert added.status_code == 303 and added.headers["location"] == "/admin?done=user_add"
        again = client.post(
            "/admin/users",
            data={
                "csrf_token": token,
                "name": "dave",
                "role": "analyst",
                "password": "dave-password-1",
            },
        )
        assert again.status_code == 409 and "user dave exists already" in again.text
        weak = client.post(
            "/admin/users",
            data={"csrf_token": token, "name": "erin", "role": "analyst", "password": "short"},
        )
        assert weak.status_code == 422 and "expected at least 10" in weak.text
        client.post("/admin/users/dave/role", data={"csrf_token": token, "role": "supervisor"})
        client.post("/admin/users/dave/disable", data={"csrf_token": token})
        me = client.post("/admin/users/carol/disable", data={"csrf_token": token})
        assert me.status_code == 422 and "cannot disable their own account" in me.text
        config = client.get("/api/v1/config").json()
        assert {s["env"] for s in config["settings"]} >= {
            "CLUES_SECRET_KEY",
            "CLUES_WEB_SESSION_HOURS",
        }
        secret = next(s for s in config["settings"] if s["env"] == "CLUES_SECRET_KEY")
        assert secret["value"].startswith("(")
    with transaction(sqlite_web.engine) as session:
        dave = session.scalars(select(User).where(User.name == "dave")).one()
        assert (dave.role, dave.active) == ("supervisor", False)


# ------------------------------------------------------------------ headers


def test_every_answer_carries_the_security_headers(sqlite_web) -> None:
    with sqlite_web.client() as client:
        for path in ("/login", "/queue", "/api/v1/me", "/static/app.css", "/nowhere"):
            headers = client.get(path).headers
            assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert (
            "script-src 'self'" in CONTENT_SECURITY_POLICY
            and "unsafe" not in CONTENT_SECURITY_POLICY
        )
        assert client.get("/login").headers["cache-control"] == "no-store"


def test_web_settings_are_validated_with_the_variable_named(monkeypatch) -> None:
    from clue_pipeline.errors import ConfigError

    monkeypatch.setenv("CLUES_WEB_LOGIN_ATTEMPTS", "many")
    with pytest.raises(ConfigError) as caught:
        load_web_config()
    assert str(caught.value) == (
        "CLUES_WEB_LOGIN_ATTEMPTS: expected a whole number of attempts >= 1, e.g. 5, got 'many'; "
        "hint: set it to a valid value or unset it for the default"
    )
    monkeypatch.setenv("CLUES_WEB_LOGIN_ATTEMPTS", "7")
    monkeypatch.setenv("CLUES_WEB_SECURE_COOKIES", "always")
    assert load_web_config().login_attempts == 7 and load_web_config().secure_cookies == "always"


# ------------------------------------------------------------------ clues users


def run_clues(*args: str, url: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLUES), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "CLUES_DATABASE_URL": url, "NO_COLOR": "1", "COLUMNS": "200"},
        timeout=120,
    )


def test_clues_users_add_list_disable(sqlite_url: str) -> None:
    added = run_clues(
        "users",
        "add",
        "wang.li",
        "--role",
        "supervisor",
        "--password-stdin",
        "--by",
        "root",
        url=sqlite_url,
        stdin="a-long-password\n",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "user wang.li added (supervisor)"
    bad = run_clues(
        "users",
        "add",
        "x",
        "--role",
        "boss",
        "--password-stdin",
        url=sqlite_url,
        stdin="a-long-password\n",
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "error: unknown role 'boss'; expected one of: analyst, supervisor, admin"
    )
    short = run_clues(
        "users",
        "add",
        "li",
        "--role",
        "analyst",
        "--password-stdin",
        url=sqlite_url,
        stdin="short\n",
    )
    assert short.returncode == 2
    assert short.stderr.strip() == "error: the password is 5 characters long, expected at least 10"
    listed = json.loads(run_clues("users", "list", "--json", url=sqlite_url).stdout)
    assert [(u["name"], u["role"], u["active"]) for u in listed] == [
        ("wang.li", "supervisor", True)
    ]
    assert run_clues("users", "disable", "wang.li", "--by", "root", url=sqlite_url).returncode == 0
    listed = json.loads(run_clues("users", "list", "--json", url=sqlite_url).stdout)
    assert listed[0]["active"] is False
    token = run_clues("users", "token", "wang.li", url=sqlite_url)
    assert token.returncode == 0 and token.stdout.startswith("clues_")
