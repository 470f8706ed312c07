"""The console's message catalogue: every string the code marks for translation has its Chinese, and the
compiled catalogue the console loads is the one in the repository's .po file."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "wechat_pub" / "console" / "translations"
ZH = CATALOGUES / "zh_CN" / "LC_MESSAGES"


def marked_strings() -> set[str]:
    """What the code marks with _() (and friends), found as `pybabel extract -F babel.cfg` finds it."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        found.update(message if isinstance(message, tuple) else (message,))
    return {m for m in found if m}


def test_every_marked_string_has_its_chinese():
    catalogue = read_po(open(ZH / "messages.po", "rb"))
    untranslated = sorted(m for m in marked_strings() if not (catalogue.get(m) and catalogue.get(m).string))
    assert not untranslated, (f"{len(untranslated)} console strings have no Chinese in {ZH / 'messages.po'}: "
                              f"{untranslated[:10]} (docs/console-i18n.md says how to add them)")


def test_the_compiled_catalogue_is_the_committed_po():
    with open(ZH / "messages.po", "rb") as po:
        catalogue = read_po(po)
    expected = io.BytesIO()
    write_mo(expected, catalogue)
    expected.seek(0)
    compiled = read_mo(open(ZH / "messages.mo", "rb"))
    want = {m.id: m.string for m in read_mo(expected) if m.id}
    assert {m.id: m.string for m in compiled if m.id} == want, (
        "messages.mo is not messages.po compiled: run `pybabel compile -d wechat_pub/console/translations`")


def test_every_event_the_history_and_audit_record_has_words():
    """A newcomer's finding (2026-12-06): the issue page's history showed sent, schedule-done, send-accepted,
    send-requested and schedule-failed as they are stored, in English keys on the Chinese console."""
    import re

    from wechat_pub.console.events import EVENTS

    recorded = set()
    patterns = [r'\.note\([^,()]+, "([a-z-]+)"', r'_log\(conn, issue, "([a-z-]+)"', r'_move\(issue, clientmsgid, "([a-z-]+)"',
                r'_move\(issue, "([a-z-]+)"', r'\brecord\("([a-z-]+)"', r'"sent" if ok else "([a-z-]+)"']
    for path in (ROOT / "wechat_pub").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            recorded.update(re.findall(pattern, text))
    recorded.add("sent")
    assert {"schedule-done", "send-accepted", "unapprove", "import"} <= recorded  # the patterns find them
    assert sorted(recorded - set(EVENTS)) == []


def test_a_problems_item_name_is_shown_as_written():
    """The review (2026-12-06): names came out as Python writes them inside quotes (back\\\\slash, it\\'s)."""
    from wechat_pub.console.words import PROBLEMS, _unquoted

    name = "back\\slash it's \"q\""
    found = next(p.match(f"item {name!r} has no source link.") for p, _words in PROBLEMS if p.match(
        f"item {name!r} has no source link."))
    assert {key.rstrip("_"): _unquoted(v) for key, v in found.groupdict().items() if v is not None} == {"name": name}
