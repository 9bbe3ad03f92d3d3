"""Routing on real posts: the department that signed each official reply labels its post,
and processing's judgement (the model trained on the labelled board data, the catalogue's
items and examples, the catalogue's category where the model knows none) should name it.
Skips without ../shared/data; the full measurement is bench/route_eval.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_data

from clue_pipeline.classify import train
from clue_pipeline.labelled_data import json_lines, read_labelled
from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.context import ProcessingContext
from clue_pipeline.reply_departments import handled_by, handled_posts
from clue_pipeline.route_eval import evaluate_routing


@pytest.mark.parametrize(
    ("reply", "department"),
    [
        ("……经调查，已督促学校退还费用。特此回复。A7县教育局 2019年5月31日", "教育局"),
        ("感谢您对我们工作的支持！县交警大队 2018年3月19日", "公安局交通警察支队"),
        ("如有疑问请致电。市住房公积金管理中心\xa02017年6月2日", "住房公积金管理中心"),
        ("经我局调查……请您与教育局联系。区城管执法局", "城市管理和综合执法局"),  # the last named
        ("网友：您好！留言已收悉。谢谢！", None),  # no department signed it
    ],
)
def test_the_department_that_signed_a_reply(reply: str, department: str | None) -> None:
    assert handled_by(reply) == department


def test_real_posts_reach_the_department_that_answered_them(tmp_path: Path) -> None:
    replies = [obj for _, obj in json_lines(shared_data("messages_with_replies.jsonl"))]
    labelled = read_labelled(shared_data("messages_labelled_dev.jsonl"))
    posts = handled_posts(replies)
    assert len(posts) > 500  # about a fifth of the replies name the department
    # the category model alone (every post relevant): the routing, not the noise filter
    train(labelled).save(tmp_path / "classifier")
    figures = {}
    for rule in ("on", "off"):
        relevance = {"model": str(tmp_path / "classifier")}
        if rule == "off":
            relevance["unseen_category"] = None
        context = ProcessingContext(ProcessingConfig(relevance=relevance))
        figures[rule] = evaluate_routing(context, posts)
    # measured 0.577 / 0.529 (0.574 / 0.528 with the relevance filter, bench/route_eval.py)
    assert figures["on"]["accuracy"] >= 0.54
    assert figures["on"]["accuracy"] >= figures["off"]["accuracy"] + 0.03
    assert figures["on"]["unseen_category"] > 20
