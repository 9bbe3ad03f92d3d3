"""Reading labelled posts (JSON lines) and sentence pairs (TSV or JSON lines)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from clue_pipeline.errors import ClueError


def read_labelled(path: Path) -> list[dict[str, str]]:
    """Records with ``text`` and ``label`` (a category name or ``noise``).
    A ``title`` field, when present and not already the start of the text,
    is put in front of it."""
    records = []
    for number, obj in json_lines(path):
        text, label = obj.get("text"), obj.get("label")
        if not isinstance(text, str) or not isinstance(label, str) or not label:
            raise ClueError(
                f"{path}:{number}: expected an object with string fields 'text' and 'label'; "
                f"hint: label is a category name or 'noise'"
            )
        title = obj.get("title")
        if isinstance(title, str) and title and not text.startswith(title):
            text = f"{title} {text}"
        records.append({"text": text, "label": label})
    if not records:
        raise ClueError(f"{path}: no records; expected JSON lines with 'text' and 'label'")
    return records


def read_routed(path: Path) -> list[dict[str, str]]:
    """Posts with the department that handled them: ``text``, an optional ``title`` and
    ``department`` (named as the catalogue names its departments)."""
    records = []
    for number, obj in json_lines(path):
        text, department, title = obj.get("text"), obj.get("department"), obj.get("title")
        if not isinstance(text, str) or not isinstance(department, str) or not department.strip():
            raise ClueError(
                f"{path}:{number}: expected an object with string fields 'text' and "
                f"'department'; hint: department is the one that handled the post, named as "
                f"config/catalog.yaml names it"
            )
        if title is not None and not isinstance(title, str):
            raise ClueError(f"{path}:{number}: 'title' is {type(title).__name__}, not a string")
        records.append({"title": title or "", "text": text, "department": department.strip()})
    if not records:
        raise ClueError(f"{path}: no records; expected JSON lines with 'text' and 'department'")
    return records


@dataclass(frozen=True)
class Pair:
    sentence1: str
    sentence2: str
    label: int
    source: str = ""  # the file it was read from


def read_pairs(path: Path) -> list[Pair]:
    """Pairs as TSV with header sentence1, sentence2, label (1 = same
    meaning), or JSON lines with the same fields."""
    if not path.exists():
        raise ClueError(f"{path}: no such file; expected a TSV or JSON-lines file of pairs")
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    if first.lstrip().startswith("{"):
        pairs = []
        for number, obj in json_lines(path):
            pairs.append(_pair(obj, f"{path}:{number}", str(path)))
    else:
        pairs = []
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = {"sentence1", "sentence2", "label"} - set(reader.fieldnames or [])
            if missing:
                raise ClueError(
                    f"{path}: header lacks {', '.join(sorted(missing))}; expected a TSV header "
                    f"'sentence1<TAB>sentence2<TAB>label'"
                )
            for number, row in enumerate(reader, start=2):
                pairs.append(_pair(row, f"{path}:{number}", str(path)))
    if not pairs:
        raise ClueError(f"{path}: no pairs found")
    return pairs


def _pair(obj: dict, where: str, source: str) -> Pair:
    try:
        label = int(str(obj["label"]).strip())
        if label not in (0, 1):
            raise ValueError
        return Pair(str(obj["sentence1"]), str(obj["sentence2"]), label, source)
    except (KeyError, ValueError, TypeError):
        raise ClueError(f"{where}: expected fields sentence1, sentence2 and label 0 or 1") from None


def json_objects(lines: Iterable[str]) -> Iterator[tuple[int, dict | str]]:
    """(line number, object) of each non-blank line, or (line number, why it holds none:
    ``not valid JSON: ...`` or ``expected a JSON object per line``)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON: {exc.msg}"
            continue
        yield number, obj if isinstance(obj, dict) else "expected a JSON object per line"


def json_lines(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) of each line of a JSON-lines file; the first bad line is one
    error naming the file and the line."""
    if not path.exists():
        raise ClueError(f"{path}: no such file; expected JSON lines")
    with path.open(encoding="utf-8") as handle:
        for number, obj in json_objects(handle):
            if isinstance(obj, str):
                raise ClueError(f"{path}:{number}: {obj}")
            yield number, obj
