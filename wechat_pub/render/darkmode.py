"""WeChat's dark mode, as its article reader applies it, and the contrast of every text in both modes.

WeChat recolours an article for dark mode with the script of wechatjs/mp-darkmode (1.2.1). This
module implements its rules as measured (docs/wechat-darkmode.md; the 233 measured cases are
``tests/data/wechat-darkmode-table.json`` and a test reproduces every one):

- only inline ``color``, ``background(-color)`` and border colours change; the page is #191919
  and text without an inline colour is #a3a3a3;
- backgrounds: pale greys (and anything nearly white) are inverted, other pale colours are capped
  at brightness 190 (so they stay light), very dark ones are raised to 22 % lightness;
- text is judged against the converted background it sits on: it is left alone when the
  brightness gap is 65 or more (whatever its WCAG contrast), else flipped or scaled; on the dark
  page a gap over 138 is scaled back to #a3a3a3's brightness;
- borders follow the text rules against the page; a box with a background but no text colour
  gets one derived from its nearest coloured ancestor (or #191919).

"Brightness" is (299 R + 587 G + 114 B) / 1000, as the script uses it.
"""

from __future__ import annotations

import colorsys
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from wechat_pub.render.htmltree import Element, parse_fragment

RGB = tuple[float, float, float]

DARK_PAGE: RGB = (0x19, 0x19, 0x19)
DARK_TEXT: RGB = (0xA3, 0xA3, 0xA3)  # the reader's text colour in dark mode
LIGHT_PAGE: RGB = (0xFF, 0xFF, 0xFF)
LIGHT_TEXT: RGB = (0x19, 0x19, 0x19)  # what the injected colour of a box starts from

MIN_READABLE = 4.5  # WCAG AA for body text

_KEEP_TEXT = 250  # text this bright is never touched
_INVERT = 250  # backgrounds brighter than this are inverted, whatever their hue
_CAP = 190  # other backgrounds brighter than this are scaled down to it
_RAISE_LIGHTNESS = 0.22  # backgrounds darker than this lightness are raised to it
_GREY_INVERT_LIGHTNESS = 0.40  # greys lighter than this are inverted
_MIN_GAP = 65  # text/background brightness gap the script wants
_MAX_GAP = 138  # #a3a3a3 on #191919: the most it allows on a dark page
_DARK_BACKGROUND = 100  # below this brightness a background counts as dark
_DARKEST_PAGE = 27  # the "too bright" rule only applies on backgrounds this dark

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|rgba?\([^)]*\)")
_BORDER_PROPS = ("border", "border-top", "border-bottom", "border-left", "border-right", "border-color",
                 "border-top-color", "border-bottom-color", "border-left-color", "border-right-color")
_BG_PROPS = ("background-color", "background")


# ---- colours ----------------------------------------------------------------------------------


def brightness(rgb: RGB) -> float:
    r, g, b = rgb
    return (299 * r + 587 * g + 114 * b) / 1000


def parse_colour(text: str) -> RGB | None:
    """#rgb, #rrggbb or rgb()/rgba() (a fully transparent rgba is no colour)."""
    text = text.strip()
    if text.startswith("#"):
        hexpart = text[1:]
        if len(hexpart) == 3:
            hexpart = "".join(c * 2 for c in hexpart)
        return tuple(int(hexpart[i:i + 2], 16) for i in (0, 2, 4))
    numbers = re.findall(r"[\d.]+", text)
    if len(numbers) < 3 or (len(numbers) > 3 and float(numbers[3]) == 0):
        return None
    return tuple(float(n) for n in numbers[:3])


def _round(value: float) -> int:
    """A channel as the reader ends up painting it: the script writes it with one decimal
    (rgb(195.5, …)), and the browser rounds that half up."""
    one_decimal = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return max(0, min(255, math.floor(one_decimal + Decimal("0.5"))))


def settle(rgb: RGB) -> RGB:
    return tuple(float(_round(c)) for c in rgb)


def to_hex(rgb: RGB) -> str:
    return "#" + "".join(f"{_round(c):02x}" for c in rgb)


def _lightness(rgb: RGB) -> float:
    return colorsys.rgb_to_hls(*(c / 255 for c in rgb))[1]


def _with_lightness(rgb: RGB, lightness: float) -> RGB:
    hue, _, saturation = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    return tuple(c * 255 for c in colorsys.hls_to_rgb(hue, lightness, saturation))


def _is_grey(rgb: RGB) -> bool:
    return max(rgb) - min(rgb) < 1e-9


def scale_to_brightness(rgb: RGB, target: float) -> RGB:
    """The script's brightness adjustment: scale the channels, then make up in one channel what
    clipping at 0 or 255 lost."""
    current = brightness(rgb)
    if current == 0:
        return (target, target, target)
    r, g, b = (min(255.0, c * target / current) for c in rgb)
    if g == 0 or r == 255 or b == 255:
        g = (target * 1000 - r * 299 - b * 114) / 587
    elif r == 0:
        r = (target * 1000 - g * 587 - b * 114) / 299
    elif b == 0 or g == 255:
        b = (target * 1000 - r * 299 - g * 587) / 114
    return (r, g, b)


@lru_cache(maxsize=4096)  # an article's texts have a few colours on a few backgrounds; rounding them is costly
def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio between two colours."""
    def luminance(rgb):
        channels = []
        for c in rgb:
            c = _round(c) / 255
            channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# ---- the rules --------------------------------------------------------------------------------


def dark_background(rgb: RGB) -> RGB:
    return settle(_dark_background(rgb))


def _dark_background(rgb: RGB) -> RGB:
    lightness = _lightness(rgb)
    if (_is_grey(rgb) and lightness > _GREY_INVERT_LIGHTNESS) or brightness(rgb) > _INVERT:
        grey = min(1.0, 1.098 - lightness) * 255
        return (grey, grey, grey)
    if brightness(rgb) > _CAP:
        return scale_to_brightness(rgb, _CAP)
    if lightness < _RAISE_LIGHTNESS:
        return _with_lightness(rgb, _RAISE_LIGHTNESS)
    return rgb


def dark_text(rgb: RGB, background: RGB) -> RGB:
    """``rgb`` as text on ``background`` (already converted)."""
    return settle(_dark_text(rgb, background))


def _dark_text(rgb: RGB, background: RGB) -> RGB:
    if brightness(rgb) >= _KEEP_TEXT:
        return rgb
    ground = brightness(background)
    out = rgb
    if abs(brightness(rgb) - ground) < _MIN_GAP:
        out = _separate(rgb, ground)
    if ground <= _DARKEST_PAGE and abs(brightness(out) - ground) > _MAX_GAP:
        out = scale_to_brightness(out, ground + _MAX_GAP)
    return out


def _separate(rgb: RGB, ground: float) -> RGB:
    """Text too close in brightness to its background: flip its lightness, or scale it away."""
    lightness = _lightness(rgb)
    if ground >= _DARK_BACKGROUND:
        if lightness > 0.5:
            return _with_lightness(rgb, 0.9 - lightness)
        return scale_to_brightness(rgb, ground - _MIN_GAP)
    if lightness <= 0.4:
        return _with_lightness(rgb, 0.9 - lightness)
    return scale_to_brightness(rgb, min(_MAX_GAP, ground + _MIN_GAP))


def dark_border(rgb: RGB) -> RGB:
    return dark_text(rgb, DARK_PAGE)


# ---- on HTML ----------------------------------------------------------------------------------


# The editor's live preview renders the whole issue again after every pause in typing, and checks and shows
# each article in dark mode, though the author changed one: the results are kept by the article's HTML (they
# depend on nothing else, so a kept one is never stale), the last few dozen.
PER_HTML = 64


@lru_cache(maxsize=PER_HTML)
def to_dark(html: str) -> str:
    """The HTML as WeChat's dark mode paints it: converted colours written into the inline styles
    (WeChat adds them as !important class rules; the look is the same)."""
    return str(darkened(parse_fragment(html)))


def darkened(tree: Element) -> Element:
    """A parsed fragment as WeChat's dark mode paints it, as a new tree: ``tree`` is left as it was, so one
    parse serves both the light view and the dark one (parsing is most of the cost of either)."""
    dark = Element(tree.name, dict(tree.attrs))
    dark.children = [_dark_copy(child, DARK_PAGE, LIGHT_TEXT) if isinstance(child, Element) else child
                     for child in tree.children]
    return dark


def _dark_copy(tag: Element, background: RGB, inherited: RGB) -> Element:
    style, background, colour = _recoloured(tag.get("style"), background, inherited)
    dark = Element(tag.name, dict(tag.attrs))
    if style is not None:
        dark.attrs["style"] = style
    dark.children = [_dark_copy(child, background, colour) if isinstance(child, Element) else child
                     for child in tag.children]  # (the strings are the same: only styles change)
    return dark


@lru_cache(maxsize=4096)  # an article repeats a few dozen styles on a few backgrounds hundreds of times
def _recoloured(style: str, background: RGB, inherited: RGB) -> tuple[str | None, RGB, RGB]:
    """(the element's style in dark mode, None when it has none; the background and the colour its children
    inherit) for an element of ``style`` on ``background`` under the text colour ``inherited``."""
    declarations = declarations_of(style)
    own_background = _colour_in(declarations, _BG_PROPS)
    own_colour = _colour_in(declarations, ("color",))
    if own_background:
        background = dark_background(own_background)
        _replace_colour(declarations, _BG_PROPS, background)
        if not own_colour:  # the script gives the box a text colour of its own
            declarations["color"] = to_hex(dark_text(inherited, background))
    if own_colour:
        declarations["color"] = to_hex(dark_text(own_colour, background))
    for prop in _BORDER_PROPS:
        if prop in declarations and (rgb := _first_colour(declarations[prop])):
            declarations[prop] = _COLOUR.sub(to_hex(dark_border(rgb)), declarations[prop], count=1)
    new_style = ";".join(f"{k}:{v}" for k, v in declarations.items()) if declarations else None
    return new_style, background, own_colour or inherited


def declarations_of(style: str) -> dict[str, str]:
    out = {}
    for part in style.split(";"):
        name, _, value = part.partition(":")
        if name.strip():
            out[name.strip().lower()] = value.strip()
    return out


def _colour_in(declarations: dict[str, str], props) -> RGB | None:
    for prop in props:
        if prop in declarations and (rgb := _first_colour(declarations[prop])):
            return rgb
    return None


def _replace_colour(declarations: dict[str, str], props, rgb: RGB) -> None:
    for prop in props:
        if prop in declarations and _first_colour(declarations[prop]):
            declarations[prop] = _COLOUR.sub(to_hex(rgb), declarations[prop], count=1)
            return


def _first_colour(value: str) -> RGB | None:
    found = _COLOUR.search(value)
    return parse_colour(found.group(0)) if found else None


# ---- reading it -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One run of text as a reader sees it: its colour on what it is read on."""

    text: str
    colour: RGB
    background: RGB

    @property
    def contrast(self) -> float:
        return contrast_ratio(self.colour, self.background)


def readings(html: str, mode: str) -> list[Reading]:
    """Every element's own text with its colour and background, on WeChat's ``light`` page or in
    its ``dark`` mode (the transform applied here)."""
    light = parse_fragment(html)
    if mode == "dark":
        return _readings(darkened(light), DARK_PAGE, DARK_TEXT)
    return _readings(light, LIGHT_PAGE, LIGHT_TEXT)


def _readings(tree: Element, page: RGB, text: RGB) -> list[Reading]:
    found: list[Reading] = []

    def walk(tag, background, colour):
        own_background, own_colour = _own_colours(tag.get("style"))
        background = own_background or background
        colour = own_colour or colour
        own_text = tag.own_text().strip()
        if own_text:
            found.append(Reading(own_text[:40], colour, background))
        for child in tag.elements():
            walk(child, background, colour)

    for root in tree.elements():
        walk(root, page, text)
    return found


@lru_cache(maxsize=4096)  # an article repeats a few dozen styles hundreds of times
def _own_colours(style: str) -> tuple[RGB | None, RGB | None]:
    """(background, text colour) that an inline style sets; None for what it leaves to the element's parent."""
    declarations = declarations_of(style)
    return _colour_in(declarations, _BG_PROPS), _colour_in(declarations, ("color",))


def light_boxes(html: str) -> list[str]:
    """Boxes that stay light on WeChat's dark page (a pale tinted background is capped, not
    inverted): each as a short description."""
    return _light_boxes(darkened(parse_fragment(html)))


def _light_boxes(dark: Element) -> list[str]:
    found = []
    for tag in dark.iter():
        rgb = _own_colours(tag.get("style"))[0]
        if rgb and brightness(rgb) >= _DARK_BACKGROUND:
            found.append(f"{to_hex(rgb)} box: {tag.text(' ', strip=True)[:30]!r}")
    return found


def examine(html: str) -> tuple[tuple[tuple[str, Reading], ...], tuple[str, ...]]:
    """((mode, reading) of every text under 4.5:1 in WeChat's light or dark mode, light boxes left on the dark
    page), with the dark-mode transform applied once."""
    return examine_tree(parse_fragment(html))


def examine_tree(tree: Element) -> tuple[tuple[tuple[str, Reading], ...], tuple[str, ...]]:
    """:func:`examine` of HTML already parsed (``check`` audits the same tree)."""
    dark = darkened(tree)
    views = (("light", _readings(tree, LIGHT_PAGE, LIGHT_TEXT)),
             ("dark", _readings(dark, DARK_PAGE, DARK_TEXT)))
    low = tuple((mode, reading) for mode, found in views for reading in found if reading.contrast < MIN_READABLE)
    return low, tuple(_light_boxes(dark))


def describe(mode: str, reading: Reading) -> str:
    return (f"{mode} mode: {reading.text!r} is {to_hex(reading.colour)} on {to_hex(reading.background)}, "
            f"{reading.contrast:.2f}:1 (needs {MIN_READABLE}:1)")


def contrast_problems(html: str) -> list[str]:
    """Texts under 4.5:1 in WeChat's light or dark mode, and light boxes on the dark page."""
    low, boxes = examine(html)
    return ([describe(mode, reading) for mode, reading in low]
            + [f"dark mode: a light box stays on the dark page, {box}" for box in boxes])
