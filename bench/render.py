"""What the WeChat layer costs: render time of the seed issue and of a synthetic 8-article issue,
beside plain markdown-it HTML rendering of the same Markdown text, measured in the same run.

    python bench/render.py [--rounds 9]

Each round times markdown-it, our parse and our parse + render in turn (about 0.2 s each); prints the median
of the rounds' ratios to the markdown-it baseline (CPU time of the process), with the goals: parse + render under 2.5x for the seed
issue, under 3.5x for the synthetic 8-article one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
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


def timed(function, number: int) -> float:
    """CPU seconds of one call (this process's: what other jobs on the machine take is not counted)."""
    return timeit.Timer(function, timer=time.process_time).timeit(number) / number


def case(name: str, text: str, options, goal: float, rounds: int) -> None:
    plain = MarkdownIt("commonmark")

    def ours():
        issue = parse_article(text, "bench.md").issue
        return render_issue(issue, options)

    result = ours()
    number = max(1, int(0.2 / max(timed(ours, 1), 1e-6)))
    # The cases take turns in every round (on a loaded machine a slow spell hits both): each round's ratio, and
    # their median, are what is compared.
    baseline, parse_only, full = [], [], []
    for _ in range(rounds):
        baseline.append(timed(lambda: plain.render(text), number))
        parse_only.append(timed(lambda: parse_article(text, "bench.md"), number))
        full.append(timed(ours, number))
    ratios = sorted(f / b for f, b in zip(full, baseline))
    ratio = statistics.median(ratios)
    base, parse, whole = (statistics.median(times) for times in (baseline, parse_only, full))
    sizes = ", ".join(f"{len(a.content):,}" for a in result.articles)
    print(f"{name}: {len(text):,} characters of Markdown -> {len(result.articles)} article(s) [{sizes} characters]")
    print(f"  markdown-it render (baseline) {base * 1000:8.2f} ms   1.00x")
    print(f"  wechat-pub parse only         {parse * 1000:8.2f} ms {statistics.median(p / b for p, b in zip(parse_only, baseline)):6.2f}x")
    print(f"  wechat-pub parse + render     {whole * 1000:8.2f} ms {ratio:6.2f}x"
          f"   (WeChat layer: render, inline, split; rounds {ratios[0]:.2f}-{ratios[-1]:.2f})   "
          f"goal < {goal}x: {'met' if ratio < goal else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9, help="rounds of about 0.2 s per case; the median counts")
    rounds = parser.parse_args().rounds
    options = Deployment(load_config(ROOT / "config.toml")).site().render_options()
    seed = (ROOT / "articles" / "issue-135.md").read_text(encoding="utf-8")
    case("seed issue 135", seed, options, goal=2.5, rounds=rounds)
    big = write_article(IssueFactory(8).issue(sections=8, items_per_section=4))
    case("synthetic 8-article issue", big, options, goal=3.5, rounds=rounds)


if __name__ == "__main__":
    main()
