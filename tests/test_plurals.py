"""Counted texts read right in both languages: one result, several results."""

from __future__ import annotations

import tomllib

import pytest

from bot.texts import TEXTS_DIR, Texts


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_counted_text_has_both_forms(language: str) -> None:
    keys = set(tomllib.loads((TEXTS_DIR / f"{language}.toml").read_text("utf-8")))
    ones = {k.removesuffix("_one") for k in keys if k.endswith("_one")}
    others = {k.removesuffix("_other") for k in keys if k.endswith("_other")}
    assert ones == others


def test_more_button_counts_in_english() -> None:
    texts = Texts.load()
    assert texts.plural("en", "more_results", 1) == "1 more result"
    assert texts.plural("en", "more_results", 7) == "7 more results"
    assert texts.plural("vi", "more_results", 7) == "Xem thêm 7 tin"
