"""Relevance of the followers' search, measured on the project's own judged queries (bench/relevance.tsv, written
and judged before the search was tuned) over issue 135 (articles/), issue 136 (docs/examples/) and a three-part
issue (wechat_pub.synthetic.split_issue, as 137). Every query is answered as the webhook answers it (the
Replier), and what the reply lists is scored:

- nDCG@5: graded gains (2: the item is about it, 1: it mentions it) of the first five entries; an entry that
  repeats a story already listed (a copy of it in another part) gains nothing;
- Hit@1: the first entry is one of the best judged;
- a query the archive cannot answer scores 1 on both only when the reply lists nothing.

    python bench/relevance.py [--show]

Goals (printed): nDCG@5 ≥ 0.90 and Hit@1 ≥ 0.90 over all queries, and no answer to an unanswerable one.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wechat_pub.bot.index import build_index, entries_of  # noqa: E402
from wechat_pub.bot.replies import Replier  # noqa: E402
from wechat_pub.bot.search import Archive  # noqa: E402
from wechat_pub.source.article import load_issue  # noqa: E402
from wechat_pub.synthetic import split_issue  # noqa: E402

DEPTH = 5


def judged(path: Path) -> list[tuple[str, str, dict[str, int]]]:
    """(kind, query, {id: grade}) per line of the judgements file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, query, relevant = (line.split("\t") + [""])[:3]
        grades = {}
        for judgement in relevant.split():
            name, _, grade = judgement.rpartition(":")
            grades[name] = int(grade)
        rows.append((kind, query, grades))
    return rows


def scores(shown: tuple, grades: dict[str, int]) -> tuple[float, float]:
    """(nDCG@5, Hit@1) of what a reply lists, against the judged grades."""
    if not grades:
        return (1.0, 1.0) if not shown else (0.0, 0.0)
    gains, seen = [], set()
    for entry in shown[:DEPTH]:
        ids = entry if isinstance(entry, tuple) else (entry,)
        fresh = [grades.get(i, 0) for i in ids if i not in seen]
        seen.update(ids)
        gains.append(max(fresh, default=0))
    dcg = sum((2 ** g - 1) / math.log2(rank + 2) for rank, g in enumerate(gains))
    ideal = sorted(grades.values(), reverse=True)[:DEPTH]
    idcg = sum((2 ** g - 1) / math.log2(rank + 2) for rank, g in enumerate(ideal))
    hit = 1.0 if gains and gains[0] == max(grades.values()) else 0.0
    return dcg / idcg, hit


def archive_of_three(folder: Path, words: bool = False) -> Archive:
    """The three issues' archive, answered by FTS5, or by the word index (``words``: as a large archive is)."""
    issues = [load_issue(ROOT / "articles" / "issue-135.md"), load_issue(ROOT / "docs" / "examples" / "issue-136.md"),
              split_issue(137, "2020-05-11")]
    if words:
        archive = Archive(lambda offer: ("three", entries_of(issues)), folder / "relevance.sqlite3", words_from=0)
        archive.refresh()
        return archive
    build_index(folder / "relevance.sqlite3", issues)
    return Archive(None, folder / "relevance.sqlite3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every query, what it listed and its scores")
    parser.add_argument("--words", action="store_true", help="answer from the word index (tantivy), as an archive of "
                        "5,000 items or more is answered, instead of FTS5")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        replier = Replier(archive_of_three(Path(folder), args.words))
        per_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
        false_answers = []
        for kind, query, grades in judged(ROOT / "bench" / "relevance.tsv"):
            shown = replier.answer(query).shown
            ndcg, hit = scores(shown, grades)
            per_kind[kind].append((ndcg, hit))
            if not grades and shown:
                false_answers.append(query)
            if args.show or ndcg < 1:
                print(f"  {'  ' if ndcg == 1 else '✗ '}{kind:<12} {query!r:<40} nDCG@5 {ndcg:.2f} Hit@1 {hit:.0f}  "
                      f"{list(shown)[:DEPTH]}")
    print(f"{'kind':<14}{'queries':>8}{'nDCG@5':>9}{'Hit@1':>8}")
    everything = [score for kind in per_kind.values() for score in kind]
    for kind, kind_scores in [*per_kind.items(), ("all", everything)]:
        ndcg = sum(s[0] for s in kind_scores) / len(kind_scores)
        hit = sum(s[1] for s in kind_scores) / len(kind_scores)
        print(f"{kind:<14}{len(kind_scores):>8}{ndcg:>9.3f}{hit:>8.3f}")
    ndcg = sum(s[0] for s in everything) / len(everything)
    hit = sum(s[1] for s in everything) / len(everything)
    met = ndcg >= 0.90 and hit >= 0.90 and not false_answers
    print(f"goal: nDCG@5 {ndcg:.3f} (≥ 0.90), Hit@1 {hit:.3f} (≥ 0.90), answers to unanswerable queries: "
          f"{len(false_answers)} {false_answers if false_answers else ''}(0): {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
