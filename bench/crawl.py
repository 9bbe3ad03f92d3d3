"""Crawl throughput: the config-driven spider against a hand-written Scrapy spider.

Generates a local forum of ``--lists`` list pages with ``--per-list`` detail
pages each (default 100 + 2,000 = 2,100 pages), serves it from a separate
process on 127.0.0.1, then crawls the same pages twice, each in its own
subprocess with the same Scrapy settings (robots.txt obeyed, no delay,
concurrency 16, AutoThrottle off):

1. config-driven: ``crawlers.crawl_one.run_platform`` from a platforms file,
   storing every post in a temporary SQLite database;
2. hand-written: a minimal ``scrapy.Spider`` with CSS extraction that yields
   dicts and stores nothing.

The hand-written spider gets the config-driven crawl's Scrapy settings less
the project's own components (storage pipeline, crawl-run extension, retry and
encoding middlewares): it stays minimal. One untimed warm-up round of each,
then ``--repeat`` rounds whose order alternates (config first, then hand
first) so drift on a shared machine hits both alike.

Prints, per round and as medians, pages/min for each (pages = requests the
server answered, robots.txt excluded; time = the crawl inside its process,
imports excluded) and pages per CPU-minute (process CPU time of the same
span, all threads: robust when other work shares the cores), and the
config/hand ratio of both. Targets: median ratio >= 0.9 and >= 1,000 pages/min.

``--hand-gc-freeze`` gives the hand-written spider the one process-level
tuning the product's crawl has (``gc.freeze()`` before the crawl starts), to
compare against a tuned hand-written spider as well.

    .venv/bin/python bench/crawl.py [--lists 100] [--per-list 20] [--server aiohttp]
                                    [--repeat 3] [--warmup 1] [--hand-gc-freeze]
                                    [--profile DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONCURRENCY = 16
STATS_PATH = "/__stats"
VOCABULARY = (
    "路灯 不亮 小区 门口 施工 噪音 半夜 扰民 井盖 破损 道路 积水 垃圾 "
    "清运 不及时 公交 站台 拥堵 停车 占道 楼道 漏水 电梯 故障 物业 "
    "不作为 绿化带 被毁 学校 周边 油烟 污染 河道 发臭 违建 工资 拖欠 "
    "维修 基金 投诉 多次 无人 处理 希望 相关部门 尽快 解决 谢谢 今天 "
    "昨天 晚上 早上 居民 老人 孩子 安全 隐患 严重 影响 生活 "
)


# ------------------------------------------------------------------ the site


def build_site(lists: int, per_list: int, seed: int = 7) -> dict[str, bytes]:
    """Path -> page bytes: ``/list/N.html`` (N = 1..lists) and ``/post/ID.html``."""
    rng = random.Random(seed)
    words = VOCABULARY.split()
    pages: dict[str, bytes] = {"/robots.txt": b"User-agent: *\nAllow: /\n"}
    post_no = 0
    for page in range(1, lists + 1):
        rows = []
        for _ in range(per_list):
            post_no += 1
            pid = f"p{post_no:06d}"
            title = "".join(rng.choice(words) for _ in range(rng.randint(4, 9)))
            text = "，".join(
                "".join(rng.choice(words) for _ in range(rng.randint(5, 15)))
                for _ in range(rng.randint(8, 30))
            )
            author = f"居民{rng.randint(1, 99999)}"
            when = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d} "
            when += f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
            likes, replies = rng.randint(0, 500), rng.randint(0, 80)
            rows.append(
                f'<li class="topic"><a class="title" data-id="{pid}" href="/post/{pid}.html">'
                f'{title}</a><p class="summary">{text[:30]}…</p></li>'
            )
            pages[f"/post/{pid}.html"] = _page(
                title,
                f'<article class="post"><h1 class="title">{title}</h1>'
                f'<div class="meta"><span class="author">{author}</span> '
                f'<span class="time">{when}</span> 赞 <span class="likes">{likes}</span> '
                f'回复 <span class="replies">{replies}</span></div>'
                f'<div class="content"><p>{text}</p></div>'
                f'<div class="images"><img src="/img/{pid}.jpg"></div>'
                f'<ul class="comments">{"".join("<li>回复</li>" for _ in range(10))}</ul>'
                "</article>",
            )
        nav = f'<a class="next" href="/list/{page + 1}.html">下一页</a>' if page < lists else ""
        pages[f"/list/{page}.html"] = _page(
            f"列表 {page}", f'<ul class="topics">{"".join(rows)}</ul><div class="pager">{nav}</div>'
        )
    return pages


def _page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body><div class="nav">{"<a href=/>首页</a>" * 20}</div>{body}</body></html>'
    ).encode()


# ------------------------------------------------------------------ servers


def serve(server: str, lists: int, per_list: int) -> None:
    """Serve the site on a free port; print ``PORT n``; count answered pages."""
    pages = build_site(lists, per_list)
    count = {"pages": 0}

    def answer(path: str) -> tuple[int, bytes, str]:
        if path == STATS_PATH:
            body = json.dumps(count).encode()
            count["pages"] = 0
            return 200, body, "application/json"
        body = pages.get(path)
        if body is None:
            return 404, b"not found", "text/plain"
        if path != "/robots.txt":
            count["pages"] += 1
        return 200, body, "text/html; charset=utf-8"

    if server == "aiohttp":
        _serve_aiohttp(answer)
    elif server == "twisted":
        _serve_twisted(answer)
    else:
        _serve_stdlib(answer)


def _serve_aiohttp(answer: Any) -> None:
    import asyncio

    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        status, body, content_type = answer(request.path)
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})

    async def main() -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        print(f"PORT {port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def _serve_twisted(answer: Any) -> None:
    from twisted.internet import reactor
    from twisted.web import resource, server

    class Site(resource.Resource):
        isLeaf = True

        def render_GET(self, request: Any) -> bytes:  # noqa: N802
            status, body, content_type = answer(request.path.decode())
            request.setResponseCode(status)
            request.setHeader(b"content-type", content_type.encode())
            return body

    port = reactor.listenTCP(0, server.Site(Site()), interface="127.0.0.1")
    print(f"PORT {port.getHost().port}", flush=True)
    reactor.run()


def _serve_stdlib(answer: Any) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            status, body, content_type = answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    print(f"PORT {httpd.server_address[1]}", flush=True)
    httpd.serve_forever()


def server_capacity(base_url: str, paths: list[str]) -> float:
    """Pages/min the server answers to a plain aiohttp client at CONCURRENCY."""
    import asyncio

    import aiohttp

    async def main() -> float:
        queue = list(paths)
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def worker() -> None:
                while queue:
                    async with session.get(base_url + queue.pop()) as response:
                        await response.read()

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            return len(paths) / (time.perf_counter() - started) * 60

    return asyncio.run(main())


# ------------------------------------------------------------------ the two crawls


def platforms_yaml(base_url: str, lists: int) -> str:
    return f"""
defaults:
  download_delay: 0
  concurrency: {CONCURRENCY}
  autothrottle: false
  obey_robots: true
  timeout: 30
  retries: 2
platforms:
  - name: bench_forum
    kind: html
    start_urls: ["{base_url}/list/1.html"]
    max_pages: {lists + 10}
    list:
      item: li.topic
      next_page: a.next::attr(href)
      detail_link: a.title::attr(href)
    fields:
      external_id: a.title::attr(data-id)
      title: a.title::text
    detail_fields:
      title: h1.title::text
      text: div.content
      author: span.author::text
      published_at: span.time::text
      likes: span.likes::text
      comments: span.replies::text
      media: {{css: "div.images img::attr(src)", all: true}}
"""


def run_config(platforms_file: str, database_url: str, profile: str | None) -> dict[str, Any]:
    """Subprocess body: the config-driven crawl, stored to ``database_url``."""
    from clue_pipeline.storage.migrate import upgrade
    from crawlers.crawl_one import run_platform

    upgrade(database_url)
    # Import what run_platform imports lazily, as the hand spider's imports
    # also happen before its clock starts: both times exclude imports.
    import scrapy.crawler  # noqa: F401

    import crawlers.extensions.crawl_run  # noqa: F401
    import crawlers.pipelines.store  # noqa: F401
    import crawlers.spiders.html  # noqa: F401
    import crawlers.store  # noqa: F401

    started, cpu_started = time.perf_counter(), time.process_time()
    result = _profiled(
        profile,
        lambda: run_platform(Path(platforms_file), "bench_forum", database_url=database_url),
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu_started,
        "items": result.items,
        "status": result.status,
        "errors": result.errors,
        "spider_pages": result.pages,
    }


def hand_settings(platforms_file: str) -> dict[str, Any]:
    """The Scrapy settings of the config-driven crawl, less the project's own
    components (storage pipeline, crawl-run extension, retry/encoding middlewares)."""
    from clue_pipeline.platforms.loader import load_platforms
    from crawlers.settings import platform_settings

    settings = platform_settings(load_platforms(Path(platforms_file)).get("bench_forum"))
    for key in ("ITEM_PIPELINES", "EXTENSIONS", "DOWNLOADER_MIDDLEWARES"):
        settings.pop(key, None)
    return {k: v for k, v in settings.items() if not k.startswith("CLUES_")}


def run_hand(
    platforms_file: str, base_url: str, profile: str | None, gc_freeze: bool = False
) -> dict[str, Any]:
    """Subprocess body: a minimal hand-written spider, nothing stored."""
    import gc

    import scrapy
    from scrapy.crawler import CrawlerProcess

    class HandSpider(scrapy.Spider):
        name = "hand"
        start_urls = [f"{base_url}/list/1.html"]
        items = 0

        def parse(self, response: Any) -> Any:
            for topic in response.css("li.topic"):
                yield response.follow(topic.css("a.title::attr(href)").get(), self.parse_post)
            next_page = response.css("a.next::attr(href)").get()
            if next_page:
                yield response.follow(next_page, self.parse)

        def parse_post(self, response: Any) -> Any:
            self.items += 1
            yield {
                "url": response.url,
                "title": response.css("h1.title::text").get(),
                "text": " ".join(response.css("div.content ::text").getall()),
                "author": response.css("span.author::text").get(),
                "published_at": response.css("span.time::text").get(),
                "likes": response.css("span.likes::text").get(),
                "comments": response.css("span.replies::text").get(),
                "media": response.css("div.images img::attr(src)").getall(),
            }

    settings = hand_settings(platforms_file)
    # The clock starts where run_platform's does: before the CrawlerProcess is
    # made (which loads Scrapy's components), after the imports.
    started, cpu_started = time.perf_counter(), time.process_time()
    holder: dict[str, Any] = {}

    def crawl() -> None:
        process = CrawlerProcess(settings=settings)
        holder["crawler"] = crawler = process.create_crawler(HandSpider)
        process.crawl(crawler)
        if gc_freeze:
            gc.freeze()
        process.start()

    _profiled(profile, crawl)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "items": holder["crawler"].spider.items,
        "status": "ok",
        "errors": 0,
    }


def _profiled(profile: str | None, call: Any) -> Any:
    if not profile:
        return call()
    import cProfile

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(call)
    finally:
        profiler.dump_stats(profile)


def crawl_in_subprocess(mode: str, args: list[str], base_url: str) -> dict[str, Any]:
    """Run one crawl in its own interpreter; add the pages the server answered."""
    _fetch_json(base_url + STATS_PATH)  # reset the server's count
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, mode, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{mode} crawl failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["pages"] = _fetch_json(base_url + STATS_PATH)["pages"]
    result["wall"] = wall
    result["pages_per_min"] = result["pages"] / result["seconds"] * 60
    result["pages_per_cpu_min"] = result["pages"] / result["cpu_seconds"] * 60
    return result


def _fetch_json(url: str) -> dict[str, Any]:
    from urllib.request import urlopen

    with urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def start_server(server: str, lists: int, per_list: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "serve", "--server", server]
        + ["--lists", str(lists), "--per-list", str(per_list)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise SystemExit(f"the {server} server did not start: {line!r}")
    return process, f"http://127.0.0.1:{int(line.split()[1])}"


def bench(args: argparse.Namespace) -> None:
    total = args.lists * (args.per_list + 1)
    print(
        f"site: {args.lists} list pages + {args.lists * args.per_list} detail pages = "
        f"{total} pages, served by {args.server} in its own process; "
        f"concurrency {CONCURRENCY}, no delay, robots.txt obeyed; "
        f"{args.warmup} warm-up + {args.repeat} timed rounds"
    )
    server, base_url = start_server(args.server, args.lists, args.per_list)
    try:
        paths = [f"/list/{n}.html" for n in range(1, args.lists + 1)]
        paths += [f"/post/p{n:06d}.html" for n in range(1, args.lists * args.per_list + 1)]
        capacity = server_capacity(base_url, paths)
        print(
            f"server alone (aiohttp client, {CONCURRENCY} connections): {capacity:,.0f} pages/min"
        )
        with tempfile.TemporaryDirectory(prefix="clues-bench-") as tmp:
            results = run_rounds(args, base_url, Path(tmp))
    finally:
        server.kill()
        server.wait()
    report(
        results,
        hand_label="hand-written spider (stores nothing"
        + (", gc.freeze)" if args.hand_gc_freeze else ")"),
    )


def run_rounds(
    args: argparse.Namespace, base_url: str, tmp: Path
) -> dict[str, list[dict[str, Any]]]:
    """Warm-up rounds (not kept), then the timed rounds in alternating order."""
    platforms_file = tmp / "platforms.yaml"
    platforms_file.write_text(platforms_yaml(base_url, args.lists), encoding="utf-8")
    results: dict[str, list[dict[str, Any]]] = {"config": [], "hand": []}
    for round_no in range(-args.warmup, args.repeat):
        order = ("config", "hand") if round_no % 2 == 0 else ("hand", "config")
        for mode in order:
            extra = []
            if args.profile and round_no == args.repeat - 1:
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                extra = ["--profile", str(Path(args.profile) / f"{mode}.prof")]
            if mode == "config":
                db = tmp / f"bench-{round_no + args.warmup}.db"
                cmd = ["--platforms", str(platforms_file), "--db", f"sqlite:///{db}"]
            else:
                cmd = ["--platforms", str(platforms_file), "--base-url", base_url]
                cmd += ["--gc-freeze"] if args.hand_gc_freeze else []
            result = crawl_in_subprocess(mode, cmd + extra, base_url)
            label = "warm-up" if round_no < 0 else f"round {round_no + 1}"
            print(
                f"  {mode:6s} {label:8s}: {result['pages']} pages, "
                f"{result['items']} items in {result['seconds']:.2f} s "
                f"(process {result['wall']:.2f} s): "
                f"{result['pages_per_min']:,.0f} pages/min; "
                f"CPU {result['cpu_seconds']:.2f} s: "
                f"{result['pages_per_cpu_min']:,.0f} pages/CPU-min"
                + (f", status {result['status']}" if mode == "config" else "")
            )
            if result["pages"] != args.lists * (args.per_list + 1) or result["status"] != "ok":
                raise SystemExit(f"{mode} crawl incomplete: {result}")
            if round_no >= 0:
                results[mode].append(result)
    return results


def report(results: dict[str, list[dict[str, Any]]], *, hand_label: str) -> None:
    """Medians of the timed rounds, their ratios and the verdict on the targets."""

    def median(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[mode])

    rounds = len(results["config"])
    for mode, label in (
        ("config", "config-driven spider (stores to SQLite)"),
        ("hand", hand_label),
    ):
        print(
            f"{label}: median {median(mode, 'pages_per_min'):,.0f} pages/min "
            f"(best {max(r['pages_per_min'] for r in results[mode]):,.0f}), "
            f"median {median(mode, 'cpu_seconds') * 1000 / median_pages(results, mode):.2f} "
            f"ms CPU/page, {rounds} rounds"
        )
    wall_ratio = median("config", "pages_per_min") / median("hand", "pages_per_min")
    cpu_ratio = median("config", "pages_per_cpu_min") / median("hand", "pages_per_cpu_min")
    per_round = [
        c["pages_per_min"] / h["pages_per_min"]
        for c, h in zip(results["config"], results["hand"], strict=True)
    ]
    verdict = {True: "met", False: "NOT met"}
    print(
        f"ratio config/hand, wall clock (median pages/min): {wall_ratio:.2f} "
        f"(per round {', '.join(f'{r:.2f}' for r in per_round)})"
    )
    print(
        f"ratio config/hand, CPU time (median pages per CPU-minute, robust to a busy "
        f"machine): {cpu_ratio:.2f}"
    )
    config_rate = median("config", "pages_per_min")
    print(
        f"target ratio >= 0.90: wall {verdict[wall_ratio >= 0.9]}, "
        f"CPU {verdict[cpu_ratio >= 0.9]}; "
        f"config >= 1,000 pages/min: {verdict[config_rate >= 1000]} ({config_rate:,.0f})"
    )


def median_pages(results: dict[str, list[dict[str, Any]]], mode: str) -> float:
    return statistics.median(r["pages"] for r in results[mode])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode")
    parser.add_argument("--lists", type=int, default=100)
    parser.add_argument("--per-list", type=int, default=20)
    parser.add_argument("--server", choices=("aiohttp", "twisted", "stdlib"), default="aiohttp")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (median kept)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument(
        "--hand-gc-freeze", action="store_true", help="the hand spider freezes the GC too"
    )
    parser.add_argument(
        "--profile", help="directory for cProfile dumps of both crawls (last round)"
    )
    serve_p = sub.add_parser("serve")
    serve_p.add_argument("--server", default="aiohttp")
    serve_p.add_argument("--lists", type=int, required=True)
    serve_p.add_argument("--per-list", type=int, required=True)
    for name in ("config", "hand"):
        p = sub.add_parser(name)
        p.add_argument("--platforms", required=True)
        p.add_argument("--db")
        p.add_argument("--base-url")
        p.add_argument("--profile")
        p.add_argument("--gc-freeze", action="store_true")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.server, args.lists, args.per_list)
    elif args.mode == "config":
        print(json.dumps(run_config(args.platforms, args.db, args.profile)))
    elif args.mode == "hand":
        print(json.dumps(run_hand(args.platforms, args.base_url, args.profile, args.gc_freeze)))
    else:
        bench(args)


if __name__ == "__main__":
    main()
