"""A generated cover, for issues with no cover and no image: 900×383 (WeChat's 2.35:1 feed cover),
the issue number and both titles inside the centre square (the 1:1 share card crops to it), in the
publisher's accent colour. The CJK font comes with the noto-cjk-sans-otc package, never from the network."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from wechat_pub import model as m

WIDTH, HEIGHT = 900, 383
SC_INDEX = 2  # Noto Sans CJK collection: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK


@dataclass(frozen=True)
class Cover:
    data: bytes
    crop_235_1: str  # WeChat's pic_crop_235_1: X1_Y1_X2_Y2 as fractions of the image
    crop_1_1: str


LAYOUT = "1"  # bump when the drawing changes: covers are looked up by what they are drawn from
CROP_235_1 = "0_0_1_1"
CROP_1_1 = f"{(WIDTH - HEIGHT) / 2 / WIDTH:.6f}_0_{(WIDTH + HEIGHT) / 2 / WIDTH:.6f}_1"


def cover_key(issue: m.Issue, brand: str, accent: str) -> str:
    """What a generated cover is drawn from, hashed: the same inputs give the same cover (it is not drawn again)."""
    drawn_from = "\0".join([LAYOUT, brand, accent, str(issue.number), issue.display_date, issue.title.zh,
                            issue.title.en])
    return hashlib.sha256(drawn_from.encode("utf-8")).hexdigest()


def font_path() -> str:
    import noto_cjk_sans_otc

    return os.path.join(os.path.dirname(noto_cjk_sans_otc.__file__), "NotoSansCJK-Regular.ttc")


def generate_cover(issue: m.Issue, brand: str, accent: str) -> Cover:
    image = Image.new("RGB", (WIDTH, HEIGHT), accent)
    draw = ImageDraw.Draw(image)
    left = (WIDTH - HEIGHT) / 2
    box = (left + 18, 24, left + HEIGHT - 18, HEIGHT - 24)  # inside the square, with a margin
    y = box[1]
    y = _text(draw, brand, box, y, 20, "#dfe7ef")
    y = _text(draw, f"第{issue.number}期 · No.{issue.number} · {issue.display_date}", box, y + 6, 20, "#dfe7ef")
    y = _text(draw, issue.title.zh, box, y + 18, 34, "#ffffff", max_lines=3)
    _text(draw, issue.title.en, box, y + 10, 20, "#dfe7ef", max_lines=3)
    draw.rectangle([0, HEIGHT - 8, WIDTH, HEIGHT], fill="#ffffff")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, optimize=True)
    return Cover(buffer.getvalue(), CROP_235_1, CROP_1_1)


def _text(draw: ImageDraw.ImageDraw, text: str, box, y: float, size: int, colour: str, max_lines: int = 2) -> float:
    if not text:
        return y
    font = ImageFont.truetype(font_path(), size, index=SC_INDEX)
    width = box[2] - box[0]
    for line in _wrap(draw, text, font, width)[:max_lines]:
        draw.text((box[0], y), line, font=font, fill=colour)
        y += size * 1.35
    return y


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: float) -> list[str]:
    """Break by measured width: between words for Latin text, between characters for Chinese."""
    lines, current = [], ""
    for token in _tokens(text):
        trial = current + token
        if current and draw.textlength(trial, font=font) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current = trial
    if current:
        lines.append(current.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    tokens, word = [], ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens
