"""WeChat's dark mode: every measured case of the table reproduced, and the contrast checks built on it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from wechat_pub.render.darkmode import (
    contrast_problems,
    darkened,
    declarations_of,
    light_boxes,
    readings,
    to_dark,
)
from wechat_pub.render.htmltree import parse_fragment

TABLE = json.loads((Path(__file__).parent / "data" / "wechat-darkmode-table.json").read_text(encoding="utf-8"))
_NESTED = re.compile(r";\s*(?=(?:outer|inner|section|p|span):)")


def case_html(style: str) -> str:
    """The measured markup: one styled <p id=t>, or 'outer: …; inner: …; section: …; p: …' nested."""
    if not re.match(r"(outer|inner|section|p|span):", style):
        return f'<p id="t" style="{style}">x</p>'
    parts = dict(segment.split(":", 1) for segment in _NESTED.split(style))
    parts = {name.strip(): value.strip() for name, value in parts.items()}
    html = (f'<p id="t" style="{parts["p"]}">x</p>' if "p" in parts
            else f'<p><span id="t" style="{parts["span"]}">x</span></p>')
    for box in ("section", "inner", "outer"):
        if box in parts:
            html = f'<section style="{parts[box]}">{html}</section>'
    return html


def painted(declarations: dict[str, str], prop: str) -> str:
    """The colour the reader paints for ``prop``, as the table writes it."""
    if prop == "color":
        return declarations.get("color", "#a3a3a3")
    if prop == "background-color":
        found = re.search(r"#[0-9a-f]{6}", declarations.get("background-color", declarations.get("background", "")))
        return found.group(0) if found else "#000000@0.0"
    found = re.search(r"#[0-9a-f]{6}", declarations.get(prop.removesuffix("-color"), ""))
    return found.group(0) if found else ""


@pytest.mark.parametrize("case", TABLE, ids=[case["id"] for case in TABLE])
def test_every_measured_case_is_reproduced(case):
    dark = BeautifulSoup(to_dark(case_html(case["input"]["style"])), "html.parser").find(id="t")
    declarations = declarations_of(dark.get("style", ""))
    expected = {prop: value for prop, value in case["dark"].items() if prop != "effective_bg"}
    assert {prop: painted(declarations, prop) for prop in expected} == expected


def test_contrast_is_read_against_the_converted_background():
    html = '<section style="background-color:#edf1f4"><p style="color:#07c160">x</p></section>'
    (reading,) = readings(html, "dark")
    assert round(reading.contrast, 2) == 1.30  # the table's t141: WeChat leaves it unreadable
    assert any("1.30:1" in problem for problem in contrast_problems(html))


def test_a_pale_tinted_box_stays_light_and_is_reported():
    assert light_boxes('<section style="background-color:#edf1f4"><p>x</p></section>') == ["#bcbfc1 box: 'x'"]
    assert light_boxes('<section style="background-color:#f5f5f5"><p>x</p></section>') == []


def test_small_mid_grey_text_fails_in_dark_mode_only():
    problems = contrast_problems('<p style="color:#666666">disclaimer</p>')
    assert problems == ["dark mode: 'disclaimer' is #666666 on #191919, 3.06:1 (needs 4.5:1)"]
    assert contrast_problems('<p style="color:#595959">disclaimer</p>') == []


def test_text_without_its_own_colour_takes_the_page_default():
    assert [(r.text, round(r.contrast, 2)) for r in readings("<p>plain</p>", "dark")] == [("plain", 6.97)]
    assert [(r.text, round(r.contrast, 2)) for r in readings("<p>plain</p>", "light")] == [("plain", 17.58)]


def test_the_dark_copy_leaves_the_parsed_light_tree_as_it_was():
    html = '<section style="background-color:#edf1f4"><p style="color:#07c160">x<br>y</p><!-- c --></section> tail'
    light = parse_fragment(html)
    dark = darkened(light)
    assert str(light) == str(parse_fragment(html))  # the audit and the light view read it after the dark one
    assert str(dark) == to_dark(html) != str(light)
