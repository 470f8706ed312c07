"""The script counts behind guess_lang: counted with bytes.translate for speed, they must agree with the plain
definitions, character for character."""

from __future__ import annotations

import random
import re

from wechat_pub.text import guess_lang, han_count, latin_count

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")


def test_counts_agree_with_the_definitions_on_every_character():
    # the whole Basic Multilingual Plane (lone surrogates too: a str can hold them), and a sample beyond it (each
    # character there is a surrogate pair in UTF-16, whatever it is)
    for code in [*range(0x10000), *range(0x10000, 0x110000, 97), 0x10FFFF]:
        ch = chr(code)
        assert han_count(ch) == len(HAN.findall(ch)), hex(code)
        assert latin_count(ch) == len(LATIN.findall(ch)), hex(code)


def test_counts_agree_with_the_definitions_on_mixed_text():
    rng = random.Random(135)
    pools = [(0x20, 0x7F), (0x3000, 0x3100), (0x3400, 0x4E00), (0x4D00, 0x4E00), (0x4E00, 0xA000), (0xF800, 0xFB00),
             (0xFF00, 0xFFF0), (0xD800, 0xE000), (0x10000, 0x30000), (0x80, 0x3000)]
    for _ in range(3000):
        text = "".join(chr(rng.randrange(*rng.choice(pools))) for _ in range(rng.randrange(0, 80)))
        assert han_count(text) == len(HAN.findall(text)), ascii(text)
        assert latin_count(text) == len(LATIN.findall(text)), ascii(text)


def test_guess_lang():
    assert guess_lang("欧盟数据保护委员会（EDPB）发布指南") == "zh"
    assert guess_lang("The EDPB adopted guidelines on 数据") == "en"
    assert guess_lang("2020 — 12:30") == ""
    assert guess_lang("䷀䷁ Yijing hexagrams are not Han") == "en"
