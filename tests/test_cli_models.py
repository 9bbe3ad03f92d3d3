"""``clues train``, ``clues eval classify|dedup`` and ``clues embedder train``
as an operator runs them: real subprocesses, JSON out, one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from cli_run import run_clues
from test_classify_model import EXAMPLES

from clue_pipeline.classify import NOISE_LABEL

ROOT = Path(__file__).resolve().parents[1]


def clues(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``clues ARGS`` in the checkout, with ``env`` added to this process's environment."""
    return run_clues(*args, env={**os.environ, **env})


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a command that refused (exit code 2)."""
    assert done.returncode == 2, done.stdout + done.stderr
    return done.stderr.strip().splitlines()[-1]


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {"CLUES_VAR": str(tmp_path / "var"), "HF_HUB_OFFLINE": "1"}


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for label, texts in EXAMPLES.items():
            for text in texts:
                handle.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")
    return path


def test_train_then_eval_classify_json(home: dict[str, str], labelled: Path) -> None:
    trained = clues("train", "--data", str(labelled), env=home)
    assert trained.returncode == 0, trained.stderr
    assert "saved to" in trained.stdout
    assert (Path(home["CLUES_VAR"]) / "models" / "classifier" / "metadata.json").exists()
    assert "warning" not in trained.stdout  # every label is a category of the catalogue
    assert "cross-validating the category classifier" in trained.stderr  # its steps, off a tty
    assert re.search(
        r"^cross-validated on the training posts: macro_f1 0\.\d{3} \(0\.\d{3} with the class "
        r"offsets\); relevant_recall [01]\.\d{3}, noise_removed [01]\.\d{3}$",
        trained.stdout,
        re.MULTILINE,
    ), trained.stdout
    done = clues("eval", "classify", "--data", str(labelled), "--json", env=home)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert set(metrics) == {
        "macro_f1",
        "accuracy",
        "per_class",
        "relevant_recall",
        "noise_removed",
        "n",
    }
    assert all(
        set(row) == {"precision", "recall", "f1", "support"}
        for row in metrics["per_class"].values()
    )
    assert metrics["n"] == sum(len(v) for v in EXAMPLES.values())
    assert metrics["macro_f1"] > 0.8  # its own training data: a sanity check of the wiring


def test_train_says_what_cross_validation_found() -> None:
    """The line `clues train` ends with, from the model's metadata: the macro-F1 before the
    offsets fitted on the same decisions first; the openings' recall when there were any."""
    from clue_pipeline.cli.model_commands import cross_validated_figures

    category = {"oof_macro_f1": 0.9054, "oof_macro_f1_without_offsets": 0.8909}
    relevance = {
        "mode": "learned",
        "oof_relevant_recall": 0.9959,
        "oof_noise_removed": 0.9949,
        "oof_openings_relevant_recall": 0.9462,
    }
    assert cross_validated_figures({"category": category, "relevance": relevance}) == (
        "cross-validated on the training posts: macro_f1 0.891 (0.905 with the class offsets); "
        "relevant_recall 0.996 (of the posts' openings 0.946), noise_removed 0.995"
    )
    always = {"mode": "always_relevant"}
    assert cross_validated_figures({"category": category, "relevance": always}) == (
        "cross-validated on the training posts: macro_f1 0.891 (0.905 with the class offsets); "
        "no relevance filter (no 'noise' labels)"
    )
    too_few = {"oof_macro_f1": None, "oof_macro_f1_without_offsets": None}
    assert cross_validated_figures({"category": too_few, "relevance": always}) is None
    learned = {"mode": "learned", "threshold_from": "svm default (too few examples)"}
    assert cross_validated_figures({"category": too_few, "relevance": learned}) is None


def test_eval_classify_without_a_model_uses_the_catalogue(
    home: dict[str, str], labelled: Path
) -> None:
    done = clues("eval", "classify", "--data", str(labelled), "--json", env=home)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert 0.0 <= metrics["macro_f1"] <= 1.0 and metrics["relevant_recall"] > 0.5


def test_labels_are_printed_as_written(home: dict[str, str], tmp_path: Path) -> None:
    """Labels come from the operator's files: square brackets in them are text, not console
    markup (which swallows `[b]` and fails on an unmatched `[/...]`)."""
    data = tmp_path / "labelled.jsonl"
    rows = [("[b]城建[/b]", "小区门口的路灯坏了一个月"), ("noise", "今天天气不错，出去走走")]
    data.write_text(
        "".join(
            json.dumps({"text": t, "label": label}, ensure_ascii=False) + "\n" for label, t in rows
        ),
        encoding="utf-8",
    )
    done = clues("eval", "classify", "--data", str(data), env=home)
    assert done.returncode == 0, done.stderr
    assert "[b]城建[/b]" in done.stdout


def test_bad_labelled_file_is_one_line(home: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "路灯不亮"}\n', encoding="utf-8")
    done = clues("train", "--data", str(bad), env=home)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {bad}:1: expected an object with string fields 'text' and 'label'; "
        "hint: label is a category name or 'noise'"
    ]
    from clue_pipeline.errors import ClueError
    from clue_pipeline.labelled_data import read_labelled

    for second, said in (
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes"),
        ('["路灯不亮", "noise"]', "expected a JSON object per line"),
    ):
        bad.write_text('{"text": "路灯不亮", "label": "noise"}\n\n' + second + "\n", "utf-8")
        with pytest.raises(ClueError) as raised:
            read_labelled(bad)
        assert str(raised.value) == f"{bad}:3: {said}"


def test_embedder_train_then_eval_dedup(
    home: dict[str, str], labelled: Path, tmp_path: Path
) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "sentence1\tsentence2\tlabel\n"
        "幸福路的路灯坏了\t幸福路路灯不亮了\t1\n"
        "幸福路的路灯坏了\t工地晚上施工太吵\t0\n"
        "公司拖欠工资三个月\t老板三个月没发工资\t1\n"
        "公司拖欠工资三个月\t河里有死鱼发臭\t0\n",
        encoding="utf-8",
    )
    missing = clues("eval", "dedup", "--pairs", str(pairs), "--json", env=home)
    assert missing.returncode == 2 and "clues embedder train" in missing.stderr
    trained = clues("embedder", "train", "--data", str(labelled), env=home)
    assert trained.returncode == 0, trained.stderr
    done = clues("eval", "dedup", "--pairs", str(pairs), "--json", env=home)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["n"] == 4 and metrics["roc_auc"] == 1.0
    # exactly the keys the issue names: roc_auc, precision/recall/f1 at both thresholds, n
    assert set(metrics) == {"roc_auc", "precision", "recall", "f1", "auto_merge", "suggest", "n"}
    for name in ("auto_merge", "suggest"):
        assert set(metrics[name]) == {"precision", "recall", "f1"}
    assert metrics["precision"] == metrics["auto_merge"]["precision"]
    # read by a person: how many pairs reach each threshold, so that a precision of 0 with
    # no pair above the threshold is not read as every merge wrong
    shown = clues("eval", "dedup", "--pairs", str(pairs), env=home)
    assert shown.returncode == 0, shown.stderr
    for name in ("auto_merge", "suggest"):
        line = next(x for x in shown.stdout.splitlines() if x.startswith(f"at {name} "))
        assert re.search(r": \d pairs reach it; (precision \d\.\d{4}|precision undefined)", line)


def _empty_database(tmp_path: Path) -> str:
    from clue_pipeline.storage.db import make_engine
    from clue_pipeline.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'clues.db'}"
    make_engine(upgrade(url)).dispose()
    return url


def _decide(url: str) -> None:
    """One analyst confirms a suggested duplicate (the same broken lamp) and splits another
    post (night-time building noise) away from the clue: two decided pairs."""
    from sqlalchemy import select
    from workflow_data import T0, make_clue

    from clue_pipeline.storage.db import make_engine
    from clue_pipeline.storage.models import CluePost
    from verification import claims, membership
    from verification.transactions import transaction

    engine = make_engine(url)
    with transaction(engine) as session:
        clue = make_clue(
            session,
            ("幸福路的路灯坏了一个多星期，晚上出门一片漆黑",),
            suggested=("幸福路路灯不亮了，晚上走路很危险", "工地晚上施工太吵，半夜还在打桩"),
        )
        seed, lamp, noise = session.scalars(
            select(CluePost.post_id).where(CluePost.clue_id == clue.id).order_by(CluePost.id)
        ).all()
        for row in session.scalars(select(CluePost).where(CluePost.post_id.in_([lamp, noise]))):
            row.matched_post_id = seed
        claims.claim(session, clue.id, by="li", now=T0)
        membership.confirm_duplicates(session, clue.id, [lamp], by="li", now=T0)
        membership.split(session, clue.id, [noise], by="li", now=T0)
    engine.dispose()


DECIDED = "2 post pairs from analysts' grouping decisions (1 about one problem, 1 about two)"


def test_embedder_train_learns_from_analysts_grouping_decisions(
    home: dict[str, str], tmp_path: Path
) -> None:
    url = _empty_database(tmp_path)
    nothing = clues("embedder", "train", "--from-decisions", "--database-url", url, env=home)
    assert refusal(nothing) == (
        "error: nothing to learn from; hint: give --data FILE.jsonl or --from-db "
        "(the database holds no grouping decisions yet)"
    )
    _decide(url)
    trained = clues("embedder", "train", "--from-decisions", "--database-url", url, env=home)
    assert trained.returncode == 0, trained.stderr
    assert DECIDED in trained.stdout
    assert "saved " in trained.stdout and "static-zh" in trained.stdout


def test_eval_dedup_scores_the_analysts_grouping_decisions(
    home: dict[str, str], labelled: Path, tmp_path: Path
) -> None:
    """The thresholds measured on the operator's own posts: the pairs analysts decided."""
    env = {**home, "CLUES_PROCESSING": str(ROOT / "config" / "processing.demo.yaml")}
    url = _empty_database(tmp_path)
    trained = clues("embedder", "train", "--data", str(labelled), env=env)
    assert trained.returncode == 0, trained.stderr
    neither = clues("eval", "dedup", "--json", env=env)
    assert refusal(neither) == (
        "error: nothing to score; hint: give --pairs FILE or --from-decisions"
    )
    undecided = clues("eval", "dedup", "--from-decisions", "--database-url", url, env=env)
    assert refusal(undecided) == (
        "error: the database holds no grouping decisions yet; hint: analysts confirm "
        "suggested duplicates, merge and split clues (`clues clue confirm|merge|split`)"
    )
    _decide(url)
    done = clues("eval", "dedup", "--from-decisions", "--database-url", url, "--json", env=env)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["n"] == 2 and metrics["roc_auc"] == 1.0
    assert set(metrics) == {"roc_auc", "precision", "recall", "f1", "auto_merge", "suggest", "n"}
    shown = clues("eval", "dedup", "--from-decisions", "--database-url", url, env=env)
    assert shown.returncode == 0, shown.stderr
    assert DECIDED in shown.stdout and "; 2 pairs" in shown.stdout
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "sentence1\tsentence2\tlabel\n公司拖欠工资三个月\t老板三个月没发工资\t1\n", encoding="utf-8"
    )
    both = clues(
        "eval",
        "dedup",
        "--pairs",
        str(pairs),
        "--from-decisions",
        "--database-url",
        url,
        "--json",
        env=env,
    )
    assert both.returncode == 0, both.stderr
    assert json.loads(both.stdout)["n"] == 3


def test_dedup_counts_the_pairs_that_reach_each_threshold() -> None:
    from clue_pipeline.dedup_eval import evaluate_pairs
    from clue_pipeline.embedding.char_ngram import CharNgramEmbedder
    from clue_pipeline.labelled_data import Pair
    from clue_pipeline.processing.config import GroupingConfig

    pairs = [
        Pair("幸福路的路灯坏了", "幸福路的路灯坏了", 1),
        Pair("幸福路的路灯坏了", "幸福路路灯不亮了", 1),
        Pair("公司拖欠工资三个月", "河里有死鱼发臭", 0),
    ]
    embedder = CharNgramEmbedder.fit([t for p in pairs for t in (p.sentence1, p.sentence2)])
    metrics = evaluate_pairs(
        embedder, pairs, GroupingConfig(auto_merge=0.999, suggest=0.3), with_counts=True
    )
    assert metrics["auto_merge"]["reached"] == 1 and metrics["auto_merge"]["precision"] == 1.0
    assert metrics["suggest"]["reached"] == 2 and metrics["suggest"]["recall"] == 1.0
    # the place adjustments of grouping, one per pair, move the pairs they are given for
    closer = evaluate_pairs(
        embedder,
        pairs,
        GroupingConfig(auto_merge=0.999, suggest=0.3),
        with_counts=True,
        adjustments=[0.0, 1.0, 0.0],
    )
    assert closer["auto_merge"]["reached"] == 2 and closer["auto_merge"]["recall"] == 1.0
    nothing = evaluate_pairs(embedder, pairs, GroupingConfig(auto_merge=1.01, suggest=1.01))
    assert nothing["precision"] == 0.0 and "reached" not in nothing["auto_merge"]


def test_train_warns_of_labels_that_are_no_category_of_the_catalogue(
    home: dict[str, str], labelled: Path, tmp_path: Path
) -> None:
    data = tmp_path / "more.jsonl"
    data.write_text(
        labelled.read_text(encoding="utf-8")
        + json.dumps({"text": "小区门口的路灯坏了好几天", "label": "城乡建筑"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    trained = clues("train", "--data", str(data), env=home)
    assert trained.returncode == 0, trained.stderr
    catalogue = ROOT / "config" / "catalog.yaml"
    assert (
        f"warning: 1 label(s) are no category of {catalogue}: 城乡建筑; posts classified so "
        "take their item and department from the whole catalogue; hint: label with the "
        "catalogue's category names (or add the category to the catalogue)"
    ) in trained.stdout


def test_progress_off_a_terminal_is_lines_on_standard_error(monkeypatch, capsys) -> None:  # noqa: ANN001
    """Long work run from cron or into a log says how far it is, on standard error (standard
    output stays the command's own, e.g. its JSON); work done sooner than a line is due
    says nothing."""
    from clue_pipeline.cli import output

    with output.progress_bar("importing board.jsonl") as progress:
        progress(2000, 2816)
        progress(2816, 2816)
    assert capsys.readouterr() == ("", "")
    monkeypatch.setattr(output, "PROGRESS_LINE_SECONDS", 0.0)
    with output.progress_bar("importing board.jsonl") as progress:
        progress(2000, 2816)
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.splitlines() == ["importing board.jsonl: 2000 of 2816 (0 s)"]
    monkeypatch.setattr(output, "PROGRESS_LINE_SECONDS", 3600.0)
    with output.progress_bar("processing posts", quiet=True) as progress:
        progress(1, 2)
    with output.work_status("training") as update:
        update("building character n-gram features of 12 texts")
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.splitlines() == [
        "training ...",
        "building character n-gram features of 12 texts (0 s)",
    ]


def test_eval_route_scores_the_department_processing_picks(
    home: dict[str, str], labelled: Path, tmp_path: Path
) -> None:
    assert clues("train", "--data", str(labelled), env=home).returncode == 0
    routed = tmp_path / "routed.jsonl"
    posts = [
        {
            "title": "拖欠工资",
            "text": EXAMPLES["劳动和社会保障"][0],
            "department": "人力资源和社会保障局",
        },
        {"text": EXAMPLES["环境保护"][1], "department": "生态环境局"},
        {"text": EXAMPLES["环境保护"][2], "department": "城市管理和综合执法局"},
        {"text": EXAMPLES[NOISE_LABEL][0], "department": "教育局"},  # judged noise: wrong
        {"text": EXAMPLES["城乡建设"][7], "department": "自来水公司"},  # no item names it
    ]
    routed.write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8"
    )
    done = clues("eval", "route", "--data", str(routed), "--json", env=home)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert set(metrics) == {
        "accuracy",
        "macro_f1",
        "per_department",
        "judged_noise",
        "unseen_category",
        "outside_catalogue",
        "confusions",
        "n",
    }
    assert (metrics["n"], metrics["judged_noise"]) == (5, 1)
    assert metrics["confusions"] == [
        {"handled_by": "城市管理和综合执法局", "routed_to": "生态环境局", "posts": 1},
        {"handled_by": "教育局", "routed_to": None, "posts": 1},
        {"handled_by": "自来水公司", "routed_to": "水务局", "posts": 1},
    ]
    assert metrics["outside_catalogue"] == {"自来水公司": 1}
    assert metrics["accuracy"] == pytest.approx(2 / 5)
    assert metrics["per_department"]["生态环境局"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 1,
    }
    shown = clues("eval", "route", "--data", str(routed), env=home)
    assert shown.returncode == 0, shown.stderr
    assert "accuracy 0.4000" in shown.stdout
    assert "     1  教育局 -> (judged noise)" in shown.stdout
    assert "warning: 1 post(s) name a department no item of the catalogue has: 自来水公司 (1)" in (
        shown.stdout.replace("\n", "")
    )


def test_eval_route_bad_file_is_one_line(home: dict[str, str], tmp_path: Path) -> None:
    routed = tmp_path / "routed.jsonl"
    routed.write_text('{"text": "路灯坏了"}\n', encoding="utf-8")
    assert refusal(clues("eval", "route", "--data", str(routed), env=home)) == (
        f"error: {routed}:1: expected an object with string fields 'text' and 'department'; "
        "hint: department is the one that handled the post, named as config/catalog.yaml "
        "names it"
    )


def _handle_orders(url: str) -> None:
    """Three clues filed as work orders: the lamp resolved by city management, the unpaid
    wages sent on to the labour bureau at dispatch and closed by it, and one still filed."""
    from workflow_data import T0, make_clue

    from clue_pipeline.storage.db import make_engine
    from verification import claims, decisions, filing, orders
    from verification.transactions import transaction

    engine = make_engine(url)
    with transaction(engine) as session:
        ids = []
        for text in (EXAMPLES["城乡建设"][0], EXAMPLES["劳动和社会保障"][0], "幸福路井盖丢了"):
            clue = make_clue(session, (text,))
            claims.claim(session, clue.id, by="li", now=T0)
            decisions.verify(session, clue.id, by="li", now=T0)
            ids.append(filing.file_clue(session, clue.id, by="li", now=T0).id)
        lamp, wages, _ = ids
        orders.dispatch(session, lamp, by="li", now=T0)
        orders.resolve(session, lamp, by="城管", note="换了灯具", now=T0)
        orders.dispatch(session, wages, by="li", department="人力资源和社会保障局", now=T0)
        orders.resolve(session, wages, by="人社", note="已督促发放", now=T0)
        orders.close(session, wages, by="li", note="回访满意", satisfied=True, now=T0)
    engine.dispose()


def test_eval_route_scores_the_departments_that_resolved_work_orders(
    home: dict[str, str], labelled: Path, tmp_path: Path
) -> None:
    url = _empty_database(tmp_path)
    assert clues("train", "--data", str(labelled), env=home).returncode == 0
    assert refusal(clues("eval", "route", env=home)) == (
        "error: nothing to score; hint: give --data FILE.jsonl or --from-orders"
    )
    assert refusal(clues("eval", "route", "--from-orders", "--database-url", url, env=home)) == (
        "error: the database holds no resolved or closed work orders yet; hint: departments "
        "resolve the orders filed from clues (`clues orders resolve ID --note TEXT`)"
    )
    _handle_orders(url)
    done = clues("eval", "route", "--from-orders", "--database-url", url, "--json", env=home)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert (metrics["n"], metrics["accuracy"]) == (2, 1.0)
    assert {d for d, row in metrics["per_department"].items() if row["support"]} == {
        "城市管理和综合执法局",
        "人力资源和社会保障局",
    }
    shown = clues("eval", "route", "--from-orders", "--database-url", url, env=home)
    assert "2 resolved or closed work orders from the database" in shown.stdout
