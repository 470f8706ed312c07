"""axe-core in the browser tests: :func:`assert_accessible` runs it on a page and fails on any critical or serious
violation, saying which rule, on which elements, and how to fix it. axe-core comes from npm (``tests/axe/package.json``,
pinned; ``.ci/run`` installs it with ``npm ci``); without it the tests fail and say how to install it."""

from __future__ import annotations

import json
from pathlib import Path

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")


def axe_source() -> str:
    assert AXE.exists(), (f"axe-core is not installed ({AXE} is missing): run `npm ci --prefix tests/axe` "
                          "(or `cd tests/axe && npm install`); .ci/run does it")
    return AXE.read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """axe's critical and serious violations on ``page`` as it is now (WCAG 2.x A and AA, and best practice)."""
    page.add_script_tag(content=axe_source())  # Playwright injects it past the page's CSP (a test-only bypass)
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary}))}));
    }""")
    return [violation for violation in found if violation["impact"] in BLOCKING]


def readable(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['summary']}".replace("\n", " / "))
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    found = violations(page)
    assert not found, f"axe-core: {where or page.url}\n{readable(found)}\n{json.dumps([v['id'] for v in found])}"
