"""Typos corrected against the archive's own words, only after nothing matched: edit distance for English
(privcy -> privacy), and for Chinese a character of the same sound (谷哥 -> 谷歌, 追宗 -> 追踪) or, in a word of four
characters or more, any one character (数据安金 -> 数据安全: the other three carry the meaning).

The sounds come from the index (its ``sounds`` table, filled from pypinyin where the index is built), so a
webhook worker never loads pypinyin's dictionaries (55 MB).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Callable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

LONGEST_CHINESE = 8  # characters: the longest word a window of a query is compared with


def english_distance(word: str) -> int:
    """How many edits a word of this length may be off: none below 4 letters (too many words are that close)."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


class Speller:
    """Corrections within an archive's vocabulary: ``english`` (its words) and ``chinese`` (word -> how often the
    archive has it; other names count too); ``sounds(chars)`` -> {character: its readings} and
    ``frequency(word)`` -> how many items have an English word, asked only for the few a query needs.
    ``suggestable``: the words that are the archive's own (the only ones :meth:`close` proposes)."""

    def __init__(self, english: set[str], chinese: dict[str, int], sounds: Callable[[set[str]], dict],
                 frequency: Callable[[str], int], suggestable: set[str] | None = None):
        self.english = english
        self.frequency = frequency
        self.chinese = chinese
        self.sounds = sounds
        self.suggestable = suggestable if suggestable is not None else set(english) | set(chinese)
        self._masks: dict[str, list[str]] = defaultdict(list)  # 数据安? -> [数据安全], 谷? -> [谷歌, 谷物]
        for word in chinese:
            for at in range(len(word)):
                self._masks[word[:at] + "?" + word[at + 1:]].append(word)
        # The words to suggest, by each pair of characters in them (数据 -> 数据安全, 大数据): only those sharing a
        # pair with a query are scored, not the whole vocabulary.
        self._pairs: dict[str, list[str]] = defaultdict(list)
        for word in chinese:
            if word in self.suggestable:
                for pair in {word[at:at + 2] for at in range(len(word) - 1)}:
                    self._pairs[pair].append(word)
        # English words by length: a word more edits off in length than allowed
        # cannot be close enough, so only those of about the query's length are compared.
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in english:
            self._by_length[len(word)].append(word)
        self._within: dict[tuple[int, int], list[str]] = {}

    # ---- English ---------------------------------------------------------------------------------------

    def correct_english(self, word: str) -> str | None:
        """The archive's word closest to ``word`` (the most frequent of the closest), if any is close enough."""
        allowed = english_distance(word)
        if not allowed or word in self.english:
            return None
        close = process.extract(word, self._of_length(len(word), allowed), scorer=Levenshtein.distance,
                                score_cutoff=allowed, limit=20)
        nearest = [found for found, distance, _ in close if distance == min(c[1] for c in close)]
        return max(nearest, key=lambda found: (self.frequency(found), found)) if nearest else None

    # ---- Chinese ---------------------------------------------------------------------------------------

    def correct_chinese(self, run: str) -> str | None:
        """``run`` with each window that is one character off an archive word replaced by that word."""
        readings = self.sounds(set(run)) if len(run) >= 2 else {}
        out, at, changed = "", 0, False
        while at < len(run):
            for end in range(min(len(run), at + LONGEST_CHINESE), at + 1, -1):
                window = run[at:end]
                if window in self.chinese:
                    out, at = out + window, end
                    break
                fixed = self._fix_window(window, readings)
                if fixed:
                    out, at, changed = out + fixed, end, True
                    break
            else:
                out, at = out + run[at], at + 1
        return out if changed else None

    def _fix_window(self, window: str, readings: dict[str, set[str]]) -> str | None:
        """The archive's word one character off ``window``: any character in a word of four or more, else one
        that sounds the same (the most frequent word when several are)."""
        pairs = [(word, char, word[at]) for at, char in enumerate(window)
                 for word in self._masks.get(window[:at] + "?" + window[at + 1:], ())]
        if len(window) >= 4 and pairs:
            return max((word for word, _, _ in pairs), key=lambda w: (self.chinese[w], w))
        if not pairs:
            return None
        theirs = self.sounds({other for _, _, other in pairs})
        candidates = [word for word, char, other in pairs if readings.get(char, set()) & theirs.get(other, set())]
        return max(candidates, key=lambda w: (self.chinese[w], w)) if candidates else None

    # ---- close words, for suggestions ------------------------------------------------------------------

    def close(self, term: str, limit: int = 4) -> list[str]:
        """Words of the archive near ``term``: a looser edit distance for English, shared characters for Chinese."""
        if term.isascii():
            if len(term) < 3:
                return []
            allowed = max(1, len(term) // 3)
            found = process.extract(term, self._of_length(len(term), allowed), scorer=Levenshtein.distance,
                                    score_cutoff=allowed, limit=limit * 3)
            ranked = [w for w, _, _ in sorted(found, key=lambda f: (f[1], -self.frequency(f[0])))]
            return [w for w in ranked if w in self.suggestable][:limit]
        if len(term) < 2:
            return []
        shared: Counter = Counter()  # word -> how many of the term's pairs of characters it has
        for pair in {term[at:at + 2] for at in range(len(term) - 1)}:
            shared.update(self._pairs.get(pair, ()))
        scored = [(score, self.chinese[word], word) for word, score in shared.items()]
        return [word for _, _, word in sorted(scored, reverse=True)][:limit]

    def _of_length(self, length: int, allowed: int) -> list[str]:
        """The English words ``allowed`` letters or fewer longer or shorter than ``length`` (equally close words
        come in no particular order, as they came from the set before)."""
        words = self._within.get((length, allowed))
        if words is None:
            words = self._within[length, allowed] = [
                w for n in range(length - allowed, length + allowed + 1) for w in self._by_length.get(n, ())]
        return words
