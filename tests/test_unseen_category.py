"""A trained model knows only the categories it was trained on; the catalogue names the
category (and so the item and department) of a post about a matter of another one."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_classify_model import EXAMPLES, labelled

from clue_pipeline.classify import NOISE_LABEL, train
from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.context import ProcessingContext

# about household registration: the catalogue's 政法 · 户籍管理 (公安局), a category the model
# below never saw; the second post is about one it knows
HUKOU = "孩子户口迁移落户一直办不下来，派出所说户籍材料不齐，户口本也补办不了"
WAGES = "公司拖欠我们工人三个月工资，老板一直不发工资"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # without noise labels: every post is relevant, so the category decides alone
    path = tmp_path_factory.mktemp("classifier")
    train(labelled({k: v for k, v in EXAMPLES.items() if k != NOISE_LABEL})).save(path)
    return path


def judge(model_dir: Path, unseen: dict | None, *texts: str) -> list:
    relevance = {"model": str(model_dir), "unseen_category": unseen}
    return ProcessingContext(ProcessingConfig(relevance=relevance)).judge(list(texts))


def test_the_catalogue_names_a_category_the_model_never_saw(model_dir: Path) -> None:
    # the small model is sure of everything, so the gate on its confidence is opened here
    hukou, wages = judge(model_dir, {"below_confidence": 1.0}, HUKOU, WAGES)
    assert (hukou.category, hukou.item_name, hukou.department) == ("政法", "户籍管理", "公安局")
    assert hukou.category_terms[:2] == ["户口本", "派出所"]
    assert hukou.category_reason.startswith(
        "catalogue: 户口本, 派出所, 户口, 户籍, 落户 point at 政法 · 户籍管理 (score 24.6), "
        "a category the model was not trained on; the model said "
    )
    assert hukou.why()["category"]["reason"] == hukou.category_reason
    # a post of a category the model knows keeps the model's category and has no reason
    assert (wages.category, wages.department) == ("劳动和社会保障", "人力资源和社会保障局")
    assert wages.category_reason is None and "reason" not in wages.why()["category"]


@pytest.mark.parametrize(
    ("unseen", "text"),
    [
        (None, HUKOU),  # switched off
        ({"below_confidence": 0.001}, HUKOU),  # the model is surer than that
        ({"below_confidence": 1.0, "min_score": 30.0}, HUKOU),  # the catalogue's match is weaker
        # not three times the best item of the model's category (lost wages and a contract)
        ({"below_confidence": 1.0}, f"{HUKOU}。公司拖欠工资，不签劳动合同，工伤也不认定"),
    ],
)
def test_the_model_decides_unless_every_condition_holds(
    model_dir: Path, unseen: dict | None, text: str
) -> None:
    (hukou,) = judge(model_dir, unseen, text)
    assert hukou.category in EXAMPLES and hukou.category_reason is None
