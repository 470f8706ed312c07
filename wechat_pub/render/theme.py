"""Themes: ``render/themes/base.css`` (the shared layout) followed by one CSS file per theme
with what makes it its own, ``$accent`` colours filled in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Template

THEMES = {
    "classic": "#1f4e79",  # navy
    "ink": "#0f6b5c",  # deep green
}


@dataclass(frozen=True)
class Theme:
    name: str
    accent: str
    css: str


@lru_cache(maxsize=16)
def load_theme(name: str = "classic", accent: str = "") -> Theme:
    """The theme's CSS with its colours filled in. Raises ValueError for an unknown theme."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; choose one of: {', '.join(THEMES)}")
    accent = accent or THEMES[name]
    folder = resources.files("wechat_pub.render").joinpath("themes")
    source = folder.joinpath("base.css").read_text(encoding="utf-8") + folder.joinpath(f"{name}.css").read_text(
        encoding="utf-8")  # the theme's rules come last, so they win the cascade
    css = Template(source).substitute(accent=accent)
    return Theme(name, accent, _strip_comments(css))


def _strip_comments(css: str) -> str:
    out, rest = [], css
    while "/*" in rest:
        before, _, after = rest.partition("/*")
        out.append(before)
        rest = after.partition("*/")[2]
    out.append(rest)
    return "".join(out)
