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


def test_author_pseudonyms_are_stable_keyed_and_reveal_nothing() -> None:
    from clue_pipeline.privacy import ANONYMOUS, pseudonym

    key, other_key = b"k" * 32, b"o" * 32
    name = pseudonym("city_forum", "王大妈", key)
    assert name.startswith("用户-") and len(name) == len("用户-") + 8
    assert "王大妈" not in name
    assert pseudonym("city_forum", " 王大妈 ", key) == name  # stable per author
    assert pseudonym("microblog", "王大妈", key) != name  # another platform, another person
    assert pseudonym("city_forum", "李大爷", key) != name
    assert pseudonym("city_forum", "王大妈", other_key) != name  # keyed per installation
    assert pseudonym("city_forum", None, key) == pseudonym("city_forum", " ", key) == ANONYMOUS


def test_the_secret_key_is_generated_once_private_and_overridable(tmp_path, monkeypatch) -> None:
    from clue_pipeline.errors import ConfigError
    from clue_pipeline.secret_key import secret_key

    path = tmp_path / "var" / "secret.key"
    monkeypatch.setenv("CLUES_SECRET_KEY_FILE", str(path))
    first = secret_key()
    assert len(first) == 64 and path.stat().st_mode & 0o777 == 0o600
    assert secret_key() == first
    monkeypatch.setenv("CLUES_SECRET_KEY", "an-operator-chosen-secret")
    assert secret_key() == b"an-operator-chosen-secret"
    monkeypatch.setenv("CLUES_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="CLUES_SECRET_KEY: expected at least 16 characters"):
        secret_key()
    monkeypatch.delenv("CLUES_SECRET_KEY")
    path.write_text("tiny\n")
    with pytest.raises(ConfigError, match="delete it to have a new key generated"):
        secret_key()
