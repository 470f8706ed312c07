"""An approximation of WeChat's dark mode, for previews and contrast checks.

WeChat recolours articles on the phone with its own algorithm (wechatjs/mp-darkmode). As its
documentation describes it (reference/wechat-html.md §5): only inline colours change; light
backgrounds become dark, near the #191919 page; text and borders are then lightened until their
brightness differs from the (new) background by at least 65; images are left alone. This module
follows that description; it is not WeChat's code, so treat the result as a close preview.
"""

from __future__ import annotations

import colorsys
import re

from bs4 import BeautifulSoup

DARK_PAGE = (0x19, 0x19, 0x19)
DARK_TEXT = (0xA3, 0xA3, 0xA3)  # WeChat's default text colour in dark mode
MIN_BRIGHTNESS_GAP = 65

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|rgba?\([^)]*\)")
_TEXT_PROPS = ("color", "border", "border-top", "border-bottom", "border-left", "border-right", "border-color")
_BG_PROPS = ("background-color", "background")


def brightness(rgb: tuple[int, int, int]) -> float:
    r, g, b = rgb
    return (299 * r + 587 * g + 114 * b) / 1000


def parse_colour(text: str) -> tuple[int, int, int] | None:
    text = text.strip()
    if text.startswith("#"):
        hexpart = text[1:]
        if len(hexpart) == 3:
            hexpart = "".join(c * 2 for c in hexpart)
        return tuple(int(hexpart[i:i + 2], 16) for i in (0, 2, 4))
    numbers = re.findall(r"[\d.]+", text)
    return tuple(int(float(n)) for n in numbers[:3]) if len(numbers) >= 3 else None


def to_hex(rgb) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def dark_background(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Light backgrounds turn dark (keeping their hue); dark ones stay dark."""
    h, lightness, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    if brightness(rgb) > 250:
        return DARK_PAGE
    new_l = min(lightness, 1 - lightness) * 0.45 + 0.08
    return tuple(round(c * 255) for c in colorsys.hls_to_rgb(h, new_l, s * 0.6))


def dark_foreground(rgb: tuple[int, int, int], background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Text turns light until it stands out from its background by the minimum gap."""
    h, lightness, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    new_l = 0.35 + (1 - lightness) * 0.5 if lightness < 0.5 else lightness
    out = colorsys.hls_to_rgb(h, new_l, s)
    while brightness([c * 255 for c in out]) - brightness(background) < MIN_BRIGHTNESS_GAP and new_l < 0.95:
        new_l += 0.03
        out = colorsys.hls_to_rgb(h, new_l, s)
    return tuple(round(c * 255) for c in out)


def to_dark(html: str) -> str:
    """The HTML as WeChat's dark mode would paint it (approximately)."""
    soup = BeautifulSoup(html, "html.parser")
    for root in soup.find_all(True, recursive=False):
        _walk(root, DARK_PAGE)
    return str(soup)


def _walk(tag, background) -> None:
    style = tag.get("style", "")
    if style:
        declarations = _declarations(style)
        for prop in _BG_PROPS:
            if prop in declarations and (rgb := _first_colour(declarations[prop])):
                background = dark_background(rgb)
                declarations[prop] = _COLOUR.sub(to_hex(background), declarations[prop], count=1)
        for prop in _TEXT_PROPS:
            if prop in declarations and (rgb := _first_colour(declarations[prop])):
                new = dark_foreground(rgb, background)
                declarations[prop] = _COLOUR.sub(to_hex(new), declarations[prop], count=1)
        tag["style"] = ";".join(f"{k}:{v}" for k, v in declarations.items())
    for child in tag.find_all(True, recursive=False):
        _walk(child, background)


def _declarations(style: str) -> dict[str, str]:
    out = {}
    for part in style.split(";"):
        name, _, value = part.partition(":")
        if name.strip():
            out[name.strip()] = value.strip()
    return out


def _first_colour(value: str):
    found = _COLOUR.search(value)
    return parse_colour(found.group(0)) if found else None


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio between two colours."""
    def luminance(rgb):
        channels = []
        for c in rgb:
            c = c / 255
            channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_contrasts(html: str, page: tuple[int, int, int]) -> list[tuple[str, float]]:
    """(text, contrast) for every element with its own text colour, against its background."""
    soup = BeautifulSoup(html, "html.parser")
    found: list[tuple[str, float]] = []

    def walk(tag, background, colour):
        declarations = _declarations(tag.get("style", ""))
        for prop in _BG_PROPS:
            if prop in declarations and (rgb := _first_colour(declarations[prop])):
                background = rgb
        if "color" in declarations and (rgb := _first_colour(declarations["color"])):
            colour = rgb
        own_text = "".join(s for s in tag.find_all(string=True, recursive=False)).strip()
        if own_text:
            found.append((own_text[:40], contrast_ratio(colour, background)))
        for child in tag.find_all(True, recursive=False):
            walk(child, background, colour)

    default_text = DARK_TEXT if page == DARK_PAGE else (0x19, 0x19, 0x19)
    for root in soup.find_all(True, recursive=False):
        walk(root, page, default_text)
    return found
