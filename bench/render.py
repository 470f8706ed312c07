"""What the WeChat layer costs: render time of the seed issue and of a synthetic 8-article issue,
beside plain markdown-it HTML rendering of the same Markdown text, measured in the same run.

    python bench/render.py

Prints the best of several timed runs per case and the ratio to the markdown-it baseline, with the
goals: parse + render under 3x for the seed issue, under 4x for the synthetic 8-article one.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wechat_pub.config import load_config  # noqa: E402
from wechat_pub.deployment import Deployment  # noqa: E402
from wechat_pub.render.split import render_issue  # noqa: E402
from wechat_pub.source.article import parse_article  # noqa: E402
from wechat_pub.source.writer import write_article  # noqa: E402
from wechat_pub.synthetic import IssueFactory  # noqa: E402


def best_of(function, number: int, repeat: int = 5) -> float:
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def case(name: str, text: str, options, goal: float) -> None:
    plain = MarkdownIt("commonmark")

    def ours():
        issue = parse_article(text, "bench.md").issue
        return render_issue(issue, options)

    result = ours()
    number = max(1, int(0.2 / max(best_of(ours, 1, 1), 1e-6)))
    baseline = best_of(lambda: plain.render(text), number)
    parse_only = best_of(lambda: parse_article(text, "bench.md"), number)
    full = best_of(ours, number)
    sizes = ", ".join(f"{len(a.content):,}" for a in result.articles)
    print(f"{name}: {len(text):,} characters of Markdown -> {len(result.articles)} article(s) [{sizes} characters]")
    print(f"  markdown-it render (baseline) {baseline * 1000:8.2f} ms   1.00x")
    print(f"  wechat-pub parse only         {parse_only * 1000:8.2f} ms {parse_only / baseline:6.2f}x")
    ratio = full / baseline
    print(f"  wechat-pub parse + render     {full * 1000:8.2f} ms {ratio:6.2f}x"
          f"   (WeChat layer: render, inline, split)   goal < {goal:.0f}x: {'met' if ratio < goal else 'MISSED'}")


def main() -> None:
    options = Deployment(load_config(ROOT / "config.toml")).site().render_options()
    seed = (ROOT / "articles" / "issue-135.md").read_text(encoding="utf-8")
    case("seed issue 135", seed, options, goal=3)
    big = write_article(IssueFactory(8).issue(sections=8, items_per_section=4))
    case("synthetic 8-article issue", big, options, goal=4)


if __name__ == "__main__":
    main()
