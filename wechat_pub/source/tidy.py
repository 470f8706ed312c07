"""``wechat-pub check --fix``: Chinese punctuation made full-width in an article file, in place.

Only the lines of Chinese text change: ``##`` headlines and body paragraphs that are mostly
Chinese (:func:`wechat_pub.text.guess_lang`). The front matter, code blocks, English text, links'
addresses and ``Source:`` lines stay as written. The file before the fix is kept under
``articles/.backups/``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from wechat_pub.text import guess_lang
from wechat_pub.typography import fix_chinese


@dataclass
class Tidied:
    changes: Counter = field(default_factory=Counter)
    lines: list[int] = field(default_factory=list)
    backup: Path | None = None


def tidy_chinese(path: Path, backups_in: Path) -> Tidied:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    result = Tidied()
    for number, line in chinese_lines(lines):
        fixed = fix_chinese(line)
        if fixed.text != line:
            lines[number - 1] = fixed.text
            result.changes.update(fixed.changes)
            result.lines.append(number)
    if result.lines:
        from wechat_pub.source.importing import keep_backup  # (the importer: not loaded for a check without --fix)

        result.backup = keep_backup(path, backups_in)
        path.write_text("\n".join(lines), encoding="utf-8")
    return result


def chinese_lines(lines: list[str]):
    """(line number, text) of each line of Chinese text outside front matter and code blocks."""
    in_front = bool(lines) and lines[0].strip() == "---"
    in_code = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if in_front:
            in_front = not (number > 1 and stripped == "---")
            continue
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or not stripped or stripped == "---" or stripped.startswith(("# ", "来源", "Source", ">", "|")):
            continue
        if guess_lang(stripped) == "zh":
            yield number, line
