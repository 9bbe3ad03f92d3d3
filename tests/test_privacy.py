"""Masking personal data in post text before it leaves for other systems."""

from __future__ import annotations

import pytest

from clue_pipeline.privacy import ID_MASK, PHONE_MASK, mask_personal


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("有事打我电话13812345678谢谢", f"有事打我电话{PHONE_MASK}谢谢"),
        ("电话 138 1234 5678 或 +86-139-1234-5678", f"电话 {PHONE_MASK} 或 {PHONE_MASK}"),
        ("物业电话0571-87654321没人接", f"物业电话{PHONE_MASK}没人接"),
        ("(010)12345678", PHONE_MASK),
        ("身份证号11010519491231002X被冒用", f"身份证号{ID_MASK}被冒用"),
        ("老证件 110105491231002 也算", f"老证件 {ID_MASK} 也算"),
        # an ID number's shape, but no valid check character: an order number
        ("订单号 202611200001234567 查不到", "订单号 202611200001234567 查不到"),
        ("欠薪 12000 元，拖了 3 个月", "欠薪 12000 元，拖了 3 个月"),
        ("138123456789 十二位不是手机号", "138123456789 十二位不是手机号"),
        ("", ""),
    ],
)
def test_phone_and_id_numbers_are_masked_and_other_numbers_kept(text: str, masked: str) -> None:
    assert mask_personal(text) == masked


def test_none_is_empty_text() -> None:
    assert mask_personal(None) == ""
