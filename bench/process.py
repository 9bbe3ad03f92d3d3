"""Speed and memory of the processing stage (issue 3), measured in one run.

    .venv/bin/python bench/process.py [--posts 100000] [--vectors 1000000] [--skip-million]
        [--config config/processing.yaml] [--json FILE] [--profile FILE.prof]

What it does, in a fresh SQLite database under a temporary directory:

1. generates ``--posts`` realistic Chinese posts from the project's own demo corpus and
   gazetteer (bench/synthetic_posts.py) and stores them as a crawl would (not timed in the
   stage);
2. trains the configured embedder on them in a child process (`bootstrap_embedder`, what the
   first `clues process` of a fresh installation does), timed and reported apart;
3. loads the embedder once and times its raw ``encode`` over the same texts the stage reads
   (the normalised posts), in batches of ``batch_size``: the model's own throughput;
4. times ``process_pending`` over every post (normalise, judge, locate, embed, group, write,
   prioritise), reports posts/s, the ratio to the raw encode throughput (target >= 0.85) and
   the peak resident memory of this process (``ru_maxrss``, target <= 2.5 GB; the training
   child is not counted: it runs once, in its own process);
5. times a second ``process_pending`` with nothing new (target <= 5 % of the first);
6. unless ``--skip-million``: embeds ``--vectors`` more generated posts with the same
   embedder, builds the index the stage would build at that size (config ``index``), and
   times a grouping search of 5,120 new posts (10 batches) against it. Recall is measured
   against exact search two ways: by ids (share of the exact k nearest ids found) and by
   similarity (share of the returned neighbours at least as similar as the exact k-th,
   minus 1e-4: ties-aware, since near-identical posts make many neighbours equally close).

Figures depend on the machine; the table says how many CPU threads were used.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
QUERY_POSTS = 5120


def _gb(kib: float) -> float:
    return kib / 1024 / 1024


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return _gb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class RssSampler:
    """Peak resident memory while a block runs (sampled every 50 ms with psutil)."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def store_posts(url: str, count: int) -> dict[str, int]:
    """Store the generated posts; returns the problem of each post about one (external id ->
    problem), the gold the clues are scored against."""
    from synthetic_posts import PostGenerator

    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.posts import upsert_posts

    generator = PostGenerator(ROOT / "config" / "gazetteer.yaml", seed=7)
    engine = make_engine(url)
    chunk: dict[str, list[dict]] = {}

    def flush() -> None:
        with session_scope(engine) as session:
            for platform, items in chunk.items():
                upsert_posts(session, platform, items)
        chunk.clear()

    gold: dict[str, int] = {}
    for stored, post in enumerate(generator.posts(count, now=NOW), 1):
        chunk.setdefault(post.platform, []).append(post.as_item())
        if post.problem is not None:
            gold[post.external_id] = post.problem
        if stored % 5000 == 0:
            flush()
    flush()
    engine.dispose()
    return gold


def clue_scores(engine, gold: dict[str, int]) -> dict[str, dict]:  # noqa: ANN001
    """Pairwise precision / recall of the clues against the generated problems, suggested
    members included and auto merges only (``grouping_eval.pairwise_scores``)."""
    from sqlalchemy import select

    from clue_pipeline.grouping_eval import pairwise_scores
    from clue_pipeline.storage.db import session_scope
    from clue_pipeline.storage.models import CluePost, Post

    with session_scope(engine) as session:
        members = session.execute(
            select(Post.external_id, CluePost.clue_id, CluePost.membership).join(
                CluePost, CluePost.post_id == Post.id
            )
        ).all()
    every = {m.external_id: m.clue_id for m in members}
    auto = {
        m.external_id: m.clue_id if m.membership != "suggested" else f"s{m.external_id}"
        for m in members
    }
    return {
        "suggested included": pairwise_scores(every, gold).as_dict(),
        "auto only": pairwise_scores(auto, gold).as_dict(),
    }


def train_phase(url: str, config_path: Path) -> None:
    """Child process: train the never-trained embedder parts on the stored posts."""
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.runner import bootstrap_embedder
    from clue_pipeline.storage.db import make_engine

    bootstrap_embedder(make_engine(url), load_processing_config(config_path))


def stage_texts(url: str) -> list[str]:
    """The normalised texts the stage embeds, in the stage's order."""
    from sqlalchemy import select

    from clue_pipeline.normalise import normalise
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.models import Post

    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = session.execute(
            select(Post.title, Post.text).order_by(Post.published_at, Post.id)
        ).all()
    engine.dispose()
    return [normalise(title, text).text for title, text in rows]


def raw_encode(embedder, texts: list[str], batch_size: int) -> float:  # noqa: ANN001
    """Seconds the embedder's encode takes over ``texts``, batch by batch."""
    embedder.encode(texts[:batch_size])  # warm up (lazy allocations, thread pools)
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(texts), batch_size):
        embedder.encode(texts[start : start + batch_size])
    return time.perf_counter() - started, time.process_time() - cpu


def million(embedder, config, vectors: int, batch_size: int) -> dict[str, float]:  # noqa: ANN001
    """Build the index at ``vectors`` vectors, time grouping searches, measure recall."""
    import faiss
    from synthetic_posts import PostGenerator

    from clue_pipeline.index import VectorIndex
    from clue_pipeline.normalise import normalise
    from clue_pipeline.processing.runner import _index_settings

    generator = PostGenerator(ROOT / "config" / "gazetteer.yaml", seed=11)
    total = vectors + QUERY_POSTS
    matrix = np.empty((total, embedder.dim), dtype=np.float32)
    started = time.perf_counter()
    chunk: list[str] = []
    filled = 0
    for post in generator.posts(total, now=NOW):
        chunk.append(normalise(post.title, post.text).text)
        if len(chunk) == 4096:
            matrix[filled : filled + len(chunk)] = embedder.encode(chunk, batch_size=batch_size)
            filled += len(chunk)
            chunk = []
    if chunk:
        matrix[filled : filled + len(chunk)] = embedder.encode(chunk, batch_size=batch_size)
    embed_seconds = time.perf_counter() - started
    rng = np.random.default_rng(3)
    order = rng.permutation(total)
    queries = matrix[order[:QUERY_POSTS]]
    base_rows = order[QUERY_POSTS:]
    base_rows.sort()
    base = matrix[base_rows]
    del matrix
    ids = np.arange(len(base), dtype=np.int64)

    index = VectorIndex(embedder.dim, _index_settings(config))
    started = time.perf_counter()
    for start in range(0, len(base), 100_000):
        index.add(ids[start : start + 100_000], base[start : start + 100_000])
    build_seconds = time.perf_counter() - started
    k = config.grouping.neighbours
    started = time.perf_counter()
    approx_sims, approx_ids = [], []
    for start in range(0, QUERY_POSTS, batch_size):
        sims, found = index.search(queries[start : start + batch_size], k)
        approx_sims.append(sims)
        approx_ids.append(found)
    search_seconds = time.perf_counter() - started
    approx_sims, approx_ids = np.vstack(approx_sims), np.vstack(approx_ids)

    exact = faiss.IndexFlatIP(embedder.dim)
    exact.add(base)
    started = time.perf_counter()
    exact_sims, exact_ids = exact.search(queries, k)
    exact_seconds = time.perf_counter() - started
    by_ids, by_similarity = _recall(approx_sims, approx_ids, exact_sims, exact_ids)
    # what a larger ef_search buys (HNSW looks at more candidates per query)
    sweep = []
    if index.approximate:
        configured = index.settings.ef_search
        for ef in sorted({configured, 2 * configured, 4 * configured}):
            index.set_ef_search(ef)
            started = time.perf_counter()
            sims, found = index.search(queries, k)
            seconds = time.perf_counter() - started
            ids_recall, sim_recall = _recall(sims, found, exact_sims, exact_ids)
            sweep.append(
                {
                    "ef_search": ef,
                    "search_ms_per_post": 1000 * seconds / QUERY_POSTS,
                    "recall_by_similarity": sim_recall,
                    "recall_by_ids": ids_recall,
                }
            )
        index.set_ef_search(configured)
    return {
        "vectors": len(base),
        "dim": embedder.dim,
        "approximate": index.approximate,
        "embed_seconds": embed_seconds,
        "build_seconds": build_seconds,
        "search_seconds_per_batch": search_seconds / (QUERY_POSTS / batch_size),
        "search_ms_per_post": 1000 * search_seconds / QUERY_POSTS,
        "exact_search_seconds_per_batch": exact_seconds / (QUERY_POSTS / batch_size),
        "recall_by_ids": float(by_ids),
        "recall_by_similarity": by_similarity,
        "ef_search_sweep": sweep,
        "peak_rss_gb": peak_rss_gb(),
    }


def _recall(
    approx_sims: np.ndarray, approx_ids: np.ndarray, exact_sims: np.ndarray, exact_ids: np.ndarray
) -> tuple[float, float]:
    """Recall against exact search: by ids (ties count as misses) and by similarity (a found
    neighbour as similar as the exact k-th counts)."""
    k = exact_ids.shape[1]
    pairs = zip(approx_ids, exact_ids, strict=True)
    by_ids = float(np.mean([len(set(a) & set(e)) / k for a, e in pairs]))
    kth = exact_sims[:, -1:]
    by_similarity = float(np.mean((approx_sims >= kth - 1e-4) & (approx_ids >= 0)))
    return by_ids, by_similarity


def run(args: argparse.Namespace) -> dict[str, object]:
    import faiss
    import torch

    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.processing.runner import process_pending
    from clue_pipeline.storage.db import make_engine
    from clue_pipeline.storage.migrate import upgrade

    work = Path(args.workdir or tempfile.mkdtemp(prefix="clues-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for stale in work.glob("bench.*"):  # a kept workdir: fresh database, models reused
        stale.unlink()
    os.environ["CLUES_HOME"] = str(ROOT)
    os.environ["CLUES_VAR"] = str(work / "var")
    os.environ["CLUES_PROCESSING"] = str(args.config)
    url = f"sqlite:///{work / 'bench.db'}"
    os.environ["CLUES_DATABASE_URL"] = url
    result: dict[str, object] = {
        "posts": args.posts,
        "config": str(args.config),
        "threads": {"torch": torch.get_num_threads(), "faiss": faiss.omp_get_max_threads()},
        "cpus": os.cpu_count(),
        "workdir": str(work),
    }
    upgrade(url)
    started = time.perf_counter()
    gold = store_posts(url, args.posts)
    result["store_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--phase", "train", "--config", str(args.config)],
        check=True,
        env={**os.environ, "BENCH_URL": url},
    )
    result["train_seconds"] = time.perf_counter() - started

    config = load_processing_config(args.config)
    started = time.perf_counter()
    context = ProcessingContext.load(config)
    embedder = context.embedder
    _ = context.locator, context.matcher, context.urgency, context.classifier
    result["load_seconds"] = time.perf_counter() - started
    result["embedder"] = embedder.name
    result["dim"] = embedder.dim

    texts = stage_texts(url)
    encode_seconds, encode_cpu = raw_encode(embedder, texts, config.batch_size)
    result["encode_texts_per_second"] = len(texts) / encode_seconds
    result["encode_cpu_seconds"] = encode_cpu
    del texts

    engine = make_engine(url)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with RssSampler() as sampler:
        started, cpu = time.perf_counter(), time.process_time()
        report = process_pending(engine, config=config, context=context, now=NOW)
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    result["stage_seconds"] = first
    result["stage_cpu_seconds"] = first_cpu
    result["stage_posts_per_second"] = report.posts / first
    result["ratio"] = result["stage_posts_per_second"] / result["encode_texts_per_second"]
    result["stage_parts_seconds"] = {k: round(v, 2) for k, v in report.stage_seconds.items()}
    result["report"] = {
        "posts": report.posts,
        "relevant": report.relevant,
        "new_clues": report.new_clues,
        "joined_exact": report.joined_exact,
        "joined_auto": report.joined_auto,
        "suggested": report.suggested,
        "embedded": report.embedded,
    }
    result["stage_peak_rss_gb"] = sampler.peak / 1024**3
    result["peak_rss_gb"] = peak_rss_gb()
    result["clues"] = clue_scores(engine, gold)

    started = time.perf_counter()
    again = process_pending(engine, config=config, context=context, now=NOW)
    second = time.perf_counter() - started
    result["second_run_seconds"] = second
    result["second_run_share"] = second / first
    assert again.posts == 0, "the second run found posts to process"
    engine.dispose()

    if not args.skip_million:
        result["million"] = million(embedder, config, args.vectors, config.batch_size)
    return result


def print_table(result: dict) -> None:  # noqa: ANN001
    rows = [
        ("posts", f"{result['posts']:,}", ""),
        ("embedder", f"{result['embedder']} (dim {result['dim']})", ""),
        ("threads", f"torch {result['threads']['torch']}, faiss {result['threads']['faiss']}", ""),
        ("store (crawl writes)", f"{result['store_seconds']:.1f} s", "not in the stage"),
        ("train embedder (child)", f"{result['train_seconds']:.1f} s", "not in the stage"),
        ("load models", f"{result['load_seconds']:.1f} s", "not in the stage"),
        ("raw encode", f"{result['encode_texts_per_second']:,.0f} texts/s", ""),
        ("processing stage", f"{result['stage_posts_per_second']:,.0f} posts/s", ""),
        ("  stage seconds", f"{result['stage_seconds']:.1f} s", str(result["stage_parts_seconds"])),
        ("ratio stage / encode", f"{result['ratio']:.2f}", "target >= 0.85"),
        (
            "  CPU seconds",
            f"stage {result['stage_cpu_seconds']:.1f}, encode {result['encode_cpu_seconds']:.1f}",
            f"ratio by CPU time {result['encode_cpu_seconds'] / result['stage_cpu_seconds']:.2f}"
            " (less sensitive to a shared machine)",
        ),
        *(
            (
                f"clues vs problems, {name}",
                f"precision {score['precision']:.3f}, recall {score['recall']:.3f}",
                f"{score['predicted_pairs']:,} pairs together, {score['gold_pairs']:,} gold",
            )
            for name, score in result["clues"].items()
        ),
        ("peak RSS (stage)", f"{result['stage_peak_rss_gb']:.2f} GB", "target <= 2.5 GB"),
        ("peak RSS (process)", f"{result['peak_rss_gb']:.2f} GB", "ru_maxrss, before 1M"),
        (
            "second run",
            f"{1000 * result['second_run_seconds']:.0f} ms",
            f"{100 * result['second_run_share']:.2f} % of the first (target <= 5 %)",
        ),
    ]
    big = result.get("million")
    if big:
        kind = "approximate" if big["approximate"] else "exact"
        big_n = f"{big['vectors'] / 1e6:g}M"
        rows += [
            (f"{big_n}: vectors", f"{big['vectors']:,} x {big['dim']} ({kind})", ""),
            (f"{big_n}: embed", f"{big['embed_seconds']:.0f} s", "not in grouping"),
            (f"{big_n}: index build", f"{big['build_seconds']:.0f} s", ""),
            (
                f"{big_n}: grouping search",
                f"{big['search_seconds_per_batch']:.3f} s / batch",
                f"{big['search_ms_per_post']:.2f} ms/post; exact "
                f"{big['exact_search_seconds_per_batch']:.2f} s / batch",
            ),
            (
                f"{big_n}: recall by similarity",
                f"{big['recall_by_similarity']:.4f}",
                "target >= 0.98",
            ),
            (f"{big_n}: recall by ids", f"{big['recall_by_ids']:.4f}", "ties count as misses"),
            *(
                (
                    f"{big_n}: ef_search {row['ef_search']}",
                    f"recall {row['recall_by_similarity']:.4f} / {row['recall_by_ids']:.4f}",
                    f"{row['search_ms_per_post']:.2f} ms/post (by similarity / by ids)",
                )
                for row in big.get("ef_search_sweep", [])
            ),
            (f"{big_n}: peak RSS", f"{big['peak_rss_gb']:.2f} GB", "ru_maxrss, whole run"),
        ]
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:<32}  {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "processing.yaml")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--profile", type=Path, help="cProfile the first stage run into FILE")
    parser.add_argument("--workdir", help="keep the database and models here (default: temp)")
    parser.add_argument("--phase", choices=["train"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.config = args.config.resolve()
    if args.phase == "train":
        train_phase(os.environ["BENCH_URL"], args.config)
        return 0
    result = run(args)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
