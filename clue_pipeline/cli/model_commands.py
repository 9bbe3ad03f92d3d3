"""``clues train``, ``clues eval classify|route|dedup``, ``clues embedder train``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from clue_pipeline.cli.app import app
from clue_pipeline.cli.output import console, progress_bar, say, work_status
from clue_pipeline.errors import ClueError

if TYPE_CHECKING:
    from clue_pipeline.processing.grouping import Place

eval_app = typer.Typer(
    help="Measure classification, routing and dedup on labelled data.", no_args_is_help=True
)
embedder_app = typer.Typer(help="The Chinese sentence embedder.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(embedder_app, name="embedder")


def _model_dir(out: Path | None) -> Path:
    from clue_pipeline import settings
    from clue_pipeline.processing.config import load_processing_config

    if out is not None:
        return out
    return settings.resolve_path(load_processing_config().relevance.model)


def decision_records(database_url: str | None) -> list[dict[str, str]]:
    """Analysts' labels from the database as training records (latest label per post)."""
    from sqlalchemy import select

    from clue_pipeline.normalise import normalise
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.migrate import upgrade
    from clue_pipeline.storage.models import AnalystLabel, Post

    engine = make_engine(upgrade(database_url))
    latest: dict[int, tuple[str, Post]] = {}
    with session_scope(engine) as session:
        rows = session.execute(
            select(AnalystLabel, Post)
            .join(Post, Post.id == AnalystLabel.post_id)
            .order_by(AnalystLabel.id)
        )
        for label, post in rows:
            latest[post.id] = (label.label, post)
        records = [
            {"text": normalise(post.title, post.text).text, "label": label}
            for label, post in latest.values()
        ]
    engine.dispose()
    return records


@app.command("train")
def train(
    data: list[Path] = typer.Option(None, "--data", help="Labelled JSON lines (text, label)."),
    from_decisions: bool = typer.Option(
        False, "--from-decisions", help="Also learn from analysts' labels in the database."
    ),
    out: Path = typer.Option(
        None, "--out", help="Model directory (default var/models/classifier)."
    ),
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
) -> None:
    """Fit the relevance and category model from labelled posts."""
    from clue_pipeline.classify.model import train as fit
    from clue_pipeline.labelled_data import read_labelled

    records: list[dict[str, str]] = []
    for path in data or []:
        records += read_labelled(path)
    if from_decisions:
        found = decision_records(database_url)
        console.print(f"{len(found)} analyst-labelled posts from the database")
        records += found
    if not records:
        raise ClueError("nothing to train on; hint: give --data FILE.jsonl or --from-decisions")
    _warn_of_labels_outside_the_catalogue({r["label"] for r in records})
    target = _model_dir(out)
    with work_status("training") as update:
        model = fit(records, progress=update)
    model.save(target)
    labels = sorted({r["label"] for r in records})
    say(f"trained on {len(records)} posts ({', '.join(labels)}); saved to {target}")
    figures = cross_validated_figures(model.metadata)
    if figures:
        say(figures)


def cross_validated_figures(metadata: dict) -> str | None:
    """What the out-of-fold decisions on the training posts say of a trained model, in one
    line, named as `clues eval classify` names its figures (None when there were too few
    posts to cross-validate). The class offsets are fitted on the same decisions, so the
    macro-F1 without them comes first: it is the one not measured on what it was fitted to."""
    parts = []
    category = metadata["category"]
    if category.get("oof_macro_f1") is not None:
        parts.append(
            f"macro_f1 {category['oof_macro_f1_without_offsets']:.3f} "
            f"({category['oof_macro_f1']:.3f} with the class offsets)"
        )
    relevance = metadata["relevance"]
    if relevance.get("mode") == "always_relevant":
        parts.append("no relevance filter (no 'noise' labels)")
    elif "oof_noise_removed" in relevance:
        recall = f"relevant_recall {relevance['oof_relevant_recall']:.3f}"
        if "oof_openings_relevant_recall" in relevance:
            recall += f" (of the posts' openings {relevance['oof_openings_relevant_recall']:.3f})"
        parts.append(f"{recall}, noise_removed {relevance['oof_noise_removed']:.3f}")
    if category.get("oof_macro_f1") is None and "oof_noise_removed" not in relevance:
        return None
    return "cross-validated on the training posts: " + "; ".join(parts)


def _warn_of_labels_outside_the_catalogue(labels: set[str]) -> None:
    """A label that is no category of the catalogue (a typo, another board's class) still
    trains, but its posts then take their item and department from the whole catalogue."""
    from clue_pipeline import settings
    from clue_pipeline.catalog import load_catalog
    from clue_pipeline.classify.model import NOISE_LABEL

    file = settings.catalog_file()
    known = {category.name for category in load_catalog(file).categories}
    unknown = sorted(labels - known - {NOISE_LABEL})
    if unknown:
        say(
            f"warning: {len(unknown)} label(s) are no category of {file}: "
            f"{', '.join(unknown)}; posts classified so take their item and department from "
            "the whole catalogue; hint: label with the catalogue's category names (or add "
            "the category to the catalogue)"
        )


def catalogue_classifier():  # noqa: ANN201
    """The zero-training classifier: the catalogue's keywords."""
    from clue_pipeline.classify.catalogue import CatalogueClassifier
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext

    context = ProcessingContext.load(load_processing_config())
    return CatalogueClassifier(context.matcher, context.config.relevance.catalogue_min_score)


def _figures_table(first: str, rows: list[tuple[str, dict]]) -> Table:
    """Precision, recall, F1 and support per label, in the order given."""
    table = Table(first, "precision", "recall", "f1", "support")
    for label, row in rows:
        table.add_row(
            Text(label),  # from the operator's file: never markup
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
            str(row["support"]),
        )
    return table


@eval_app.command("classify")
def eval_classify(
    data: Path = typer.Option(..., "--data", help="Labelled JSON lines (text, label)."),
    model: Path = typer.Option(None, "--model", help="Model directory (default: the trained one)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Relevance and category figures of the trained model (or of the catalogue alone)."""
    from clue_pipeline.classify.metrics import evaluate
    from clue_pipeline.classify.model import ClassifierModel
    from clue_pipeline.labelled_data import read_labelled

    records = read_labelled(data)
    directory = _model_dir(model)
    if (directory / "metadata.json").exists():
        classifier, source = ClassifierModel.load(directory), str(directory)
    elif model is not None:
        raise ClueError(f"{directory}: no trained model there; hint: run `clues train --data ...`")
    else:
        classifier, source = catalogue_classifier(), "catalogue (no trained model)"
    metrics = evaluate(classifier, records)
    if as_json:
        print(json.dumps(metrics, ensure_ascii=False))
        return
    say(f"model: {source}; {metrics['n']} posts")
    console.print(_figures_table("label", sorted(metrics["per_class"].items())))
    noise = metrics.get("noise_removed")
    console.print(
        f"macro-F1 {metrics['macro_f1']:.4f}  accuracy {metrics['accuracy']:.4f}  "
        f"relevant_recall {metrics['relevant_recall']:.4f}  "
        f"noise_removed {'n/a' if noise is None else f'{noise:.4f}'}"
    )


@eval_app.command("route")
def eval_route(
    data: Path = typer.Option(
        None, "--data", help="JSON lines: text (and title) and the department that handled it."
    ),
    from_orders: bool = typer.Option(
        False,
        "--from-orders",
        help="Score the resolved and closed work orders in the database too: each order's "
        "lead post against the department that resolved it.",
    ),
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """How often processing routes a post to the department that handled it."""
    from clue_pipeline.labelled_data import read_routed
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.route_eval import evaluate_routing, handled_orders

    if data is None and not from_orders:
        raise ClueError("nothing to score; hint: give --data FILE.jsonl or --from-orders")
    records = read_routed(data) if data is not None else []
    if from_orders:
        handled = handled_orders(database_url)
        if not handled:
            raise ClueError(
                "the database holds no resolved or closed work orders yet; hint: departments "
                "resolve the orders filed from clues (`clues orders resolve ID --note TEXT`)"
            )
        if not as_json:
            say(f"{len(handled)} resolved or closed work orders from the database")
        records += handled
    context = ProcessingContext.load(load_processing_config())
    context.check_files()
    with progress_bar("judging posts", quiet=as_json) as progress:
        metrics = evaluate_routing(context, records, progress=progress)
    if as_json:
        print(json.dumps(metrics, ensure_ascii=False))
        return
    source = "trained model" if context.classifier is not None else "catalogue (no trained model)"
    say(f"classifier: {source}; {metrics['n']} posts")
    rows = sorted(metrics["per_department"].items(), key=lambda kv: (-kv[1]["support"], kv[0]))
    console.print(_figures_table("department", rows))
    say(
        f"accuracy {metrics['accuracy']:.4f}  macro-F1 {metrics['macro_f1']:.4f}  "
        f"judged noise {metrics['judged_noise']}  category from the catalogue "
        f"{metrics['unseen_category']}"
    )
    if metrics["confusions"]:
        say("commonest misroutings (handled by -> routed to):")
        for row in metrics["confusions"]:
            routed = row["routed_to"] or "(judged noise)"
            say(f"  {row['posts']:4d}  {row['handled_by']} -> {routed}")
    outside = metrics["outside_catalogue"]
    if outside:
        names = ", ".join(f"{name} ({count})" for name, count in outside.items())
        say(
            f"warning: {sum(outside.values())} post(s) name a department no item of the "
            f"catalogue has: {names}; they count as wrong; hint: name departments as "
            "config/catalog.yaml does, or give the items that department"
        )


@eval_app.command("dedup")
def eval_dedup(
    pairs: Path = typer.Option(
        None, "--pairs", help="TSV (sentence1, sentence2, label) or JSON lines."
    ),
    from_decisions: bool = typer.Option(
        False,
        "--from-decisions",
        help="Score the analysts' grouping decisions in the database too: confirmed "
        "duplicates and merges as same-problem pairs, posts split apart as different ones "
        "(with the place adjustments grouping adds).",
    ),
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """ROC-AUC and precision/recall/F1 at the configured thresholds."""
    from clue_pipeline.dedup_eval import evaluate_pairs
    from clue_pipeline.labelled_data import Pair, read_pairs
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.processing.grouping import place_adjustment

    if pairs is None and not from_decisions:
        raise ClueError("nothing to score; hint: give --pairs FILE or --from-decisions")
    config = load_processing_config()
    scored = read_pairs(pairs) if pairs is not None else []
    adjustments = [0.0] * len(scored)
    if from_decisions:
        decided = decided_posts(database_url)
        if not decided:
            raise ClueError(
                "the database holds no grouping decisions yet; hint: analysts confirm "
                "suggested duplicates, merge and split clues (`clues clue confirm|merge|split`)"
            )
        for one in decided:
            scored.append(Pair(one.text_a, one.text_b, one.label, DECISIONS_SOURCE))
            adjustments.append(place_adjustment(one.place_a, one.place_b, config.grouping))
        if not as_json:
            same = sum(one.label for one in decided)
            say(
                f"{len(decided)} post pairs from analysts' grouping decisions "
                f"({same} about one problem, {len(decided) - same} about two)"
            )
    context = ProcessingContext.load(config)
    with console.status("embedding pairs"):
        metrics = evaluate_pairs(
            context.embedder,
            scored,
            config.grouping,
            with_counts=not as_json,
            adjustments=adjustments,
        )
    if as_json:
        print(json.dumps(metrics, ensure_ascii=False))
        return
    say(f"embedder: {context.embedder.name}; {metrics['n']} pairs")
    auc = metrics["roc_auc"]
    console.print(f"ROC-AUC {'n/a (one label only)' if auc is None else f'{auc:.4f}'}")
    for name in ("auto_merge", "suggest"):
        row = metrics[name]
        at = f"at {name} ({getattr(config.grouping, name):.3f}): {row['reached']} pairs reach it"
        if not row["reached"]:
            console.print(f"{at}; precision undefined (0 in --json), recall 0")
            continue
        console.print(
            f"{at}; precision {row['precision']:.4f} recall {row['recall']:.4f} f1 {row['f1']:.4f}"
        )


@embedder_app.command("train")
def embedder_train(
    data: list[Path] = typer.Option(
        None, "--data", help="JSON lines with text (and optional title) to learn from."
    ),
    pairs: list[Path] = typer.Option(
        None,
        "--pairs",
        help="Labelled sentence pairs (TSV sentence1, sentence2, label or JSON lines): "
        "same-meaning pairs as positives, both labels for the pair ranking loss.",
    ),
    from_db: bool = typer.Option(False, "--from-db", help="Learn from the stored posts too."),
    from_decisions: bool = typer.Option(
        False,
        "--from-decisions",
        help="Also learn from analysts' grouping decisions in the database: confirmed "
        "duplicates and merges as same-problem pairs, posts split apart as different ones.",
    ),
    database_url: str = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL."),
) -> None:
    """Train the embedder parts named in config/processing.yaml (character n-grams,
    static models over characters or pieces) from your own posts, so grouping speaks your
    platforms' Chinese."""
    from clue_pipeline.embedding.static_training import TrainingText
    from clue_pipeline.embedding.training import train_configured_embedder

    texts: list = []
    for path in data or []:
        texts += _texts_of(path)
    stored = _texts_from_db(database_url) if from_db else []
    texts += stored
    decided = decision_pairs(database_url) if from_decisions else []
    if from_decisions:
        same = sum(p.label for p in decided)
        say(
            f"{len(decided)} post pairs from analysts' grouping decisions "
            f"({same} about one problem, {len(decided) - same} about two)"
        )
        if not from_db:  # the decided posts are texts to learn from as well
            seen = {t.text for t in texts}
            for pair in decided:
                for text in (pair.sentence1, pair.sentence2):
                    if text not in seen:
                        seen.add(text)
                        texts.append(TrainingText(text))
    if not texts:
        raise ClueError(
            "nothing to learn from; hint: give --data FILE.jsonl or --from-db"
            + (" (the database holds no grouping decisions yet)" if from_decisions else "")
        )
    from clue_pipeline.labelled_data import read_pairs

    labelled = [p for path in pairs or [] for p in read_pairs(path)] + decided
    with work_status("training the embedder") as update:
        written = train_configured_embedder(
            texts, labelled, progress=update, posts=[t.text for t in stored]
        )
    for path in written:
        say(f"saved {path}")


#: the source the analysts' pairs train under (CoSENT compares pairs of one source)
DECISIONS_SOURCE = "analysts"


@dataclass(frozen=True)
class DecidedPosts:
    """One analysts' grouping decision with what grouping reads of its two posts: their
    normalised texts and places; ``label`` 1 = about one problem."""

    text_a: str
    text_b: str
    label: int
    place_a: Place
    place_b: Place


def decided_posts(database_url: str | None) -> list[DecidedPosts]:
    """The analysts' grouping decisions (the latest per pair; see
    ``storage.grouping_decisions``) whose two posts both have a text."""
    from sqlalchemy import select

    from clue_pipeline.normalise import normalise
    from clue_pipeline.processing.grouping import PLACE_LEVELS, Place
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.grouping_decisions import decided_pairs
    from clue_pipeline.storage.migrate import upgrade
    from clue_pipeline.storage.models import Post, PostAnalysis

    engine = make_engine(upgrade(database_url))
    with session_scope(engine) as session:
        decided = decided_pairs(session)
        ids = sorted({p for pair in decided for p in (pair.post_a, pair.post_b)})
        text_of: dict[int, str] = {}
        place_of: dict[int, Place] = {}
        for start in range(0, len(ids), 5000):  # bound the query's parameters
            chunk = ids[start : start + 5000]
            rows = session.execute(select(Post.id, Post.title, Post.text).where(Post.id.in_(chunk)))
            text_of.update((i, normalise(title, text).text) for i, title, text in rows)
            places = session.execute(
                select(
                    PostAnalysis.post_id, *(getattr(PostAnalysis, n) for n in PLACE_LEVELS)
                ).where(PostAnalysis.post_id.in_(chunk))
            )
            place_of.update((row.post_id, Place.of(row)) for row in places)
    engine.dispose()
    return [
        DecidedPosts(
            text_of[p.post_a],
            text_of[p.post_b],
            p.label,
            place_of.get(p.post_a, Place()),
            place_of.get(p.post_b, Place()),
        )
        for p in decided
        if text_of.get(p.post_a) and text_of.get(p.post_b)
    ]


def decision_pairs(database_url: str | None):  # noqa: ANN201 - list[TrainingPair]
    """Analysts' grouping decisions as labelled sentence pairs, source ``analysts``."""
    from clue_pipeline.embedding.static_training import TrainingPair

    return [
        TrainingPair(one.text_a, one.text_b, one.label, DECISIONS_SOURCE)
        for one in decided_posts(database_url)
    ]


def _texts_of(path: Path):  # noqa: ANN202 - list[TrainingText]
    """Posts of a JSON-lines file: title (when given) and title + text/detail."""
    from clue_pipeline.embedding.static_training import TrainingText
    from clue_pipeline.labelled_data import json_lines

    if not path.is_file():
        raise ClueError(f"{path}: no such file; expected JSON lines with text (and title)")
    texts = []
    for _, obj in json_lines(path):
        title = obj.get("title") if isinstance(obj.get("title"), str) else None
        body = " ".join(p for p in (obj.get("text"), obj.get("detail")) if isinstance(p, str) and p)
        if title and not body.startswith(title):
            body = f"{title} {body}".strip()
        if body:
            texts.append(TrainingText(body, title or None))
    return texts


def _texts_from_db(database_url: str | None):  # noqa: ANN202 - list[TrainingText]
    from sqlalchemy import select

    from clue_pipeline.embedding.static_training import TrainingText
    from clue_pipeline.normalise import normalise
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.migrate import upgrade
    from clue_pipeline.storage.models import Post

    engine = make_engine(upgrade(database_url))
    with session_scope(engine) as session:
        texts = [
            TrainingText(normalise(title, text).text, title or None)
            for title, text in session.execute(select(Post.title, Post.text))
        ]
    engine.dispose()
    return [t for t in texts if t.text]
