"""Characters a PDF's text layer says in another form than the one written, put back (:func:`unified`).

A CJK font draws a radical and the character it resembles with one glyph (民 and ⺠), and a PDF maker writing the
text layer for that glyph may name either: Chromium with Noto CJK writes 公⺠ for 公民. Kangxi radicals, CJK
compatibility ideographs and Latin ligatures (ﬁ) have a Unicode compatibility mapping (NFKC); the CJK Radicals
Supplement has none, so its look-alikes are listed here (from Unicode's EquivalentUnifiedIdeograph.txt). NFKC is
not applied to the whole text: it would turn full-width Chinese punctuation into ASCII.
"""

from __future__ import annotations

import re
import unicodedata

RADICAL_LOOKALIKES = str.maketrans({
    "⺁": "厂", "⺒": "巳", "⺓": "幺", "⺔": "彑", "⺗": "心", "⺘": "扌", "⺙": "攵", "⺛": "旡", "⺟": "母", "⺠": "民",
    "⺤": "爫", "⺦": "丬", "⺨": "犭", "⺭": "礻", "⺱": "罓", "⺲": "罒", "⺹": "耂", "⺾": "艹", "⺿": "艹", "⻀": "艹",
    "⻄": "西", "⻅": "见", "⻆": "角", "⻈": "讠", "⻉": "贝", "⻋": "车", "⻌": "辶", "⻍": "辶", "⻎": "辶", "⻐": "钅",
    "⻑": "長", "⻒": "镸", "⻓": "长", "⻔": "门", "⻖": "阝", "⻗": "雨", "⻘": "青", "⻛": "风", "⻜": "飞", "⻝": "食",
    "⻟": "飠", "⻠": "饣", "⻢": "马", "⻣": "骨", "⻤": "鬼", "⻥": "鱼", "⻦": "鸟", "⻧": "卤", "⻨": "麦", "⻩": "黄",
    "⻫": "斉", "⻬": "齐", "⻭": "歯", "⻮": "齿", "⻯": "竜", "⻰": "龙", "⻲": "亀", "⻳": "龟",
})
COMPATIBLE = re.compile("[\u2f00-\u2fdf\uf900-\ufaff\ufb00-\ufb06]")  # Kangxi radicals, compatibility ideographs, ﬁ


def unified(text: str) -> str:
    """``text`` with radicals, compatibility ideographs and ligatures as the characters they stand for."""
    text = COMPATIBLE.sub(lambda found: unicodedata.normalize("NFKC", found[0]), text)
    return text.translate(RADICAL_LOOKALIKES)
