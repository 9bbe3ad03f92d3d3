"""The web UI in a real browser: Playwright drives Debian's Chromium against
``clues serve`` running in a subprocess on 127.0.0.1 over the processed demo
corpus. An analyst logs in, filters the queue, opens a clue, merges a
duplicate, verifies and files it, and sees the order; a supervisor
dispatches it; a post carrying script and HTML payloads renders as text and
runs nothing; an analyst cannot reach the admin page. Screenshots of the
main pages go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_demo_data import PAYLOAD, demo_database
from web_helpers import PASSWORDS

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CLUES = Path(sys.executable).with_name("clues")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("web")
    env = {
        **os.environ,
        "CLUES_VAR": str(folder / "var"),
        "HF_HUB_OFFLINE": "1",
        "CLUES_PLATFORMS": str(ROOT / "config" / "platforms.demo.yaml"),
        "DEMO_BASE_URL": "http://127.0.0.1:9",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in ("CLUES_VAR", "CLUES_PLATFORMS", "DEMO_BASE_URL"):
            patch.setenv(name, env[name])
        data = demo_database(folder)
    env["CLUES_DATABASE_URL"] = data["url"]
    port = free_port()
    process = subprocess.Popen(
        [str(CLUES), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/login", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"clues serve did not start: {process.stdout.read()}"
                    ) from None
                time.sleep(0.2)
        yield {**data, "base": base}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    opened = context.new_page()
    opened.dialogs = []  # every alert/confirm/prompt the page tried
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()


def log_in(page: Any, base: str, name: str) -> None:
    page.goto(base + "/queue")
    assert "/login" in page.url  # every page needs a login
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name][1])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/queue")


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_an_analyst_merges_verifies_and_files_and_a_supervisor_dispatches(
    server: dict[str, Any], page: Any, browser: Any
) -> None:
    base = server["base"]
    duplicate, survivor = server["pair"]
    page.goto(base + "/login")
    shoot(page, "login")
    log_in(page, base, "alice")
    total = page.locator("table.queue tbody tr[data-clue]").count()
    assert total > 10
    assert page.locator("tr.urgent-row").count() > 0  # urgent clues stand out, first
    assert page.locator("table.queue tbody tr").first.get_attribute("class") == "urgent-row"
    shoot(page, "queue")

    page.check("input[name=urgent]")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**urgent=1**")
    rows = page.locator("table.queue tbody tr[data-clue]")
    assert 0 < rows.count() < total
    assert rows.count() == page.locator("tr.urgent-row").count()

    page.goto(f"{base}/clues/{duplicate}")
    assert page.locator("article.post .author").first.inner_text().startswith("用户-")
    shoot(page, "clue")
    page.fill("input[name=into]", str(survivor))
    page.click("#merge-into")
    page.wait_for_url(f"{base}/clues/{survivor}?done=merge")
    assert "已合并线索" in page.locator(".notice").inner_text()

    page.click("#claim")
    page.wait_for_url(f"{base}/clues/{survivor}?done=claim")
    suggested = page.locator("article.membership-suggested input[name=posts]")
    if suggested.count():
        for index in range(suggested.count()):
            suggested.nth(index).check()
        page.click("#confirm")
        page.wait_for_url("**done=confirm")
    page.click("#verify")
    page.wait_for_url(f"{base}/clues/{survivor}?done=verify")
    page.click("#file")
    page.wait_for_url("**/orders/*?done=file")
    order_url = page.url.split("?")[0]
    order_id = order_url.rsplit("/", 1)[1]
    assert "已立案" in page.locator(".notice").inner_text()
    assert page.locator("#dispatch").count() == 0  # dispatching is for supervisors

    page.goto(base + "/orders")
    row = page.locator(f"tr[data-order='{order_id}']")
    assert row.count() == 1 and "待派遣" in row.inner_text()
    assert "剩余" in row.locator(".countdown").first.inner_text()
    shoot(page, "orders")

    context = browser.new_context(viewport={"width": 1360, "height": 900})
    supervisor = context.new_page()
    try:
        log_in(supervisor, base, "bob")
        supervisor.goto(order_url)
        supervisor.fill("#order-actions input[name=note]", "请今日内处理")
        supervisor.click("#dispatch")
        supervisor.wait_for_url(f"{order_url}?done=dispatch")
        assert "已派遣" in supervisor.locator(".meta").inner_text()
        shoot(supervisor, "order")
        supervisor.goto(base + "/dashboard")
        assert supervisor.locator("svg.chart").count() == 2
        assert supervisor.locator("tr[data-platform]").count() == 5
        shoot(supervisor, "dashboard")
        supervisor.goto(base + "/reports/weekly")
        assert supervisor.locator("svg.chart").count() == 3
        shoot(supervisor, "report_weekly")
    finally:
        context.close()
    assert page.dialogs == []


def test_a_hostile_post_renders_as_text_and_runs_nothing(server: dict[str, Any], page: Any) -> None:
    base = server["base"]
    log_in(page, base, "alice")
    page.goto(f"{base}/clues/{server['hostile']}")
    text = page.locator("article.post .post-text").first.inner_text()
    assert PAYLOAD in text  # shown as written, as text
    assert "13812345678" not in page.content() and "[电话已隐藏]" in text
    assert page.locator("article.post img").count() == 0
    assert page.locator("article.post b").count() == 0
    page.hover("article.post .post-text")
    page.goto(base + "/queue?q=路灯坏了三天")
    assert page.locator("table.queue tbody tr[data-clue]").count() == 1
    assert "<script>" in page.locator("td.title").first.inner_text()
    shoot(page, "hostile_clue")
    assert page.dialogs == []


def test_an_analyst_cannot_reach_admin_pages(server: dict[str, Any], page: Any) -> None:
    base = server["base"]
    log_in(page, base, "alice")
    assert page.locator("header nav a[href='/admin']").count() == 0
    for path in ("/admin", "/dashboard", "/reports/weekly"):
        answer = page.goto(base + path)
        assert answer.status == 403, path
        assert "alice is analyst" in page.locator(".error").inner_text()
    shoot(page, "forbidden")


def test_an_admin_sees_users_and_configuration(server: dict[str, Any], page: Any) -> None:
    base = server["base"]
    log_in(page, base, "carol")
    page.goto(base + "/admin")
    assert page.locator("tr[data-user]").count() == 3
    assert "CLUES_WEB_SESSION_HOURS" in page.content()
    shoot(page, "admin")
