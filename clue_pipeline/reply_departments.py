"""The department that signed an official reply. A department's reply to a resident's post
usually ends with its name and the date ("……特此回复。A7县教育局 2019年5月31日"); the last
department named in the closing lines, mapped onto the shipped catalogue's department names,
says who handled the post. Replies signed by a district, a street office or nobody say
nothing about the department (None). Used to label real posts for ``clues eval route``
(bench/route_eval.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: what a reply's signature says -> the catalogue's department (longer stems win)
STEMS = {
    "教育": "教育局",
    "公安": "公安局",
    "交警": "公安局交通警察支队",
    "交通警察": "公安局交通警察支队",
    "交通运输": "交通运输局",
    "交通局": "交通运输局",
    "城市管理": "城市管理和综合执法局",
    "城管": "城市管理和综合执法局",
    "园林": "城市管理和综合执法局",
    "人力资源和社会保障": "人力资源和社会保障局",
    "人社": "人力资源和社会保障局",
    "住房和城乡建设": "住房和建设局",
    "住建": "住房和建设局",
    "城乡建设": "住房和建设局",
    "建设局": "住房和建设局",
    "住房保障": "住房和建设局",
    "房产": "住房和建设局",
    "规划": "规划和自然资源局",
    "国土": "规划和自然资源局",
    "自然资源": "规划和自然资源局",
    "不动产": "规划和自然资源局",
    "环境保护": "生态环境局",
    "环保": "生态环境局",
    "生态环境": "生态环境局",
    "医保": "医疗保障局",
    "医疗保障": "医疗保障局",
    "医疗保险": "医疗保障局",
    "民政": "民政局",
    "财政": "财政局",
    "公积金": "住房公积金管理中心",
    "卫生": "卫生健康委员会",
    "卫健": "卫生健康委员会",
    "市场监督": "市场监督管理局",
    "食药": "市场监督管理局",
    "工商": "市场监督管理局",
    "水务": "水务局",
    "水利": "水务局",
    "农业": "农业农村局",
    "林业": "林业局",
    "司法": "司法局",
    "商务": "商务局",
    "文化": "文化广电旅游体育局",
    "旅游": "文化广电旅游体育局",
    "体育": "文化广电旅游体育局",
    "发改": "发展和改革委员会",
    "发展和改革": "发展和改革委员会",
    "物价": "发展和改革委员会",
    "价格": "发展和改革委员会",
    "税务": "税务局",
    "供电": "供电局",
    "电力": "供电局",
    "信访": "信访局",
    "应急": "应急管理局",
    "安监": "应急管理局",
    "安全生产监督": "应急管理局",
    "退役军人": "退役军人事务局",
    "燃气": "燃气公司",
}
SIGNATURE = re.compile(
    r"[\u4e00-\u9fa5]{0,10}?("
    + "|".join(sorted(STEMS, key=len, reverse=True))
    + r")[\u4e00-\u9fa5]{0,8}?(?:局|委员会|委|中心|支队|大队|分局|公司)"
)
TAIL_CHARS = 80


def handled_by(reply: str) -> str | None:
    """The department that signed ``reply``, or None when its closing lines name none."""
    found = list(SIGNATURE.finditer(reply[-TAIL_CHARS:]))
    return STEMS[found[-1].group(1)] if found else None


def handled_posts(messages: Iterable[dict]) -> list[dict[str, str]]:
    """Messages with their official replies (``title``, ``detail``, ``reply``) as the
    records ``clues eval route`` reads: those whose reply a department signed."""
    posts = []
    for message in messages:
        department = handled_by(message.get("reply") or "")
        if department:
            posts.append(
                {"title": message["title"], "text": message["detail"], "department": department}
            )
    return posts
