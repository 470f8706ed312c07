"""Reading order of a PDF page's words and pictures: a recursive XY cut, then columns joined across pages.

A page is cut into rows at every horizontal gap taller than a blank line would be, and a row into columns at every
vertical gap wider than a word space; each part is cut again until nothing splits: what is left is one paragraph (a
block). Columns are read left to right, each to its end, so a page of two columns, and a row holding an item's
Chinese beside its English, both read as a person reads them. A row of columns that runs off the bottom of a page
and goes on at the top of the next, in the same columns, is one row: its columns are joined before they are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROW_GAP = 0.7  # of the usual character height: taller gaps part paragraphs (a line's leading is about 0.5)
COLUMN_GAP = 1.5  # of the usual character height: wider gaps part columns (a word space is about 0.3)
SAME_COLUMN = 12.0  # points: columns that start this close on two pages are the same column


@dataclass
class Box:
    x0: float
    top: float
    x1: float
    bottom: float
    payload: Any  # a word (with its characters) or a picture


@dataclass
class Block:
    boxes: list[Box]


@dataclass
class Columns:
    starts: list[float]
    columns: list[list[Block | Columns]] = field(default_factory=list)


def lay_out(boxes: list[Box], size: float) -> list[Block | Columns]:
    """The page's boxes as blocks and columns, in reading order; ``size`` is the page's usual character height."""
    rows = _cut(boxes, "y", ROW_GAP * size)
    if len(rows) > 1:
        return [unit for row in rows for unit in lay_out(row, size)]
    columns = _cut(boxes, "x", COLUMN_GAP * size)
    if len(columns) > 1:
        return [Columns([min(b.x0 for b in column) for column in columns],
                        [lay_out(column, size) for column in columns])]
    return [Block(boxes)]


def join_pages(pages: list[list[Block | Columns]]) -> list[Block]:
    """All pages' blocks in reading order, a row of columns going on from one page to the next read as one."""
    units: list[Block | Columns] = []
    for page in pages:
        if units and page and _same_columns(units[-1], page[0]):
            previous, first = units[-1], page[0]
            units[-1] = Columns(previous.starts, [a + b for a, b in zip(previous.columns, first.columns)])
            page = page[1:]
        units.extend(page)
    return _flatten(units)


def lines_of(block: Block) -> list[list[Box]]:
    """The block's boxes as lines, top to bottom, each left to right."""
    return [sorted(line, key=lambda b: b.x0) for line in _cut(block.boxes, "y", 0.0)]


def _same_columns(left: Block | Columns, right: Block | Columns) -> bool:
    return (isinstance(left, Columns) and isinstance(right, Columns) and len(left.starts) == len(right.starts)
            and all(abs(a - b) <= SAME_COLUMN for a, b in zip(left.starts, right.starts)))


def _flatten(units: list[Block | Columns]) -> list[Block]:
    blocks: list[Block] = []
    for unit in units:
        if isinstance(unit, Block):
            blocks.append(unit)
        else:
            for column in unit.columns:
                blocks.extend(_flatten(column))
    return blocks


def _cut(boxes: list[Box], axis: str, gap: float) -> list[list[Box]]:
    """``boxes`` in groups parted by gaps wider than ``gap`` along ``axis`` ("y": rows, "x": columns)."""
    start, end = ("top", "bottom") if axis == "y" else ("x0", "x1")
    groups: list[list[Box]] = []
    reach = float("-inf")
    for box in sorted(boxes, key=lambda b: (getattr(b, start), getattr(b, end))):
        if not groups or getattr(box, start) - reach > gap:
            groups.append([])
        groups[-1].append(box)
        reach = max(reach, getattr(box, end))
    return groups
