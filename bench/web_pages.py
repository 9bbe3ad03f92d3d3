"""Page and API latency of the web UI over the processed demo corpus.

The demo corpus of 云江市 is stored in a fresh SQLite database (times relative
to now) and processed into the clue queue; an analyst and a supervisor log in
through FastAPI's TestClient (the whole app: middleware, auth, templates) and
each page is fetched repeatedly. Prints the median and the slowest time per
page, and the login time (one argon2 hash).

    .venv/bin/python bench/web_pages.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="clues-web-bench-"))
    os.environ["CLUES_VAR"] = str(folder / "var")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["CLUES_PLATFORMS"] = str(ROOT / "config" / "platforms.demo.yaml")
    os.environ.setdefault("DEMO_BASE_URL", "http://127.0.0.1:9")

    from fastapi.testclient import TestClient

    from clue_pipeline.demo.corpus import load_corpus
    from clue_pipeline.processing.runner import process_pending
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.migrate import upgrade
    from clue_pipeline.storage.posts import upsert_posts
    from clue_pipeline.storage.types import utcnow
    from verification.accounts.users import add_user
    from verification.transactions import transaction
    from verification.web.app import create_app

    url = f"sqlite:///{folder / 'clues.db'}"
    upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    platforms: dict[str, list[dict]] = defaultdict(list)
    for post in load_corpus():
        platforms[post.platform].append(
            {
                "external_id": post.id,
                "url": f"http://demo.invalid/{post.platform}/{post.id}",
                "title": post.title,
                "text": post.text,
                "author": post.author,
                "published_at": now - timedelta(minutes=post.age_minutes),
            }
        )
    with session_scope(engine) as session:
        for platform, items in platforms.items():
            upsert_posts(session, platform, items)
    report = process_pending(engine, now=now)
    with transaction(engine) as session:
        add_user(session, "analyst", role="analyst", password="bench-password-1", by="bench")
        add_user(session, "supervisor", role="supervisor", password="bench-password-2", by="bench")
    print(f"demo corpus: {report.posts} posts, {report.new_clues} clues")

    app = create_app(url, engine=engine)
    clue_id = engine.connect().exec_driver_sql("SELECT min(id) FROM clues").scalar()
    pages = {
        "analyst": [
            "/queue",
            "/queue?urgent=1&sort=newest",
            f"/clues/{clue_id}",
            "/orders",
            "/api/v1/clues?limit=50",
            f"/api/v1/clues/{clue_id}",
        ],
        "supervisor": ["/dashboard", "/reports/weekly", "/api/v1/reports/weekly"],
    }
    for user, paths in pages.items():
        with TestClient(app) as client:
            form = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            tick = time.perf_counter()
            client.post(
                "/login",
                data={
                    "name": user,
                    "password": f"bench-password-{1 if user == 'analyst' else 2}",
                    "csrf_token": token,
                },
                follow_redirects=False,
            )
            print(f"login ({user}): {1000 * (time.perf_counter() - tick):.0f} ms")
            for path in paths:
                times = []
                for _ in range(args.repeat):
                    tick = time.perf_counter()
                    answer = client.get(path)
                    times.append(time.perf_counter() - tick)
                    assert answer.status_code == 200, (path, answer.status_code)
                print(
                    f"{path:<32} median {1000 * statistics.median(times):6.1f} ms, "
                    f"slowest {1000 * max(times):6.1f} ms, {len(answer.content) // 1024} KiB"
                )
    engine.dispose()


if __name__ == "__main__":
    main()
