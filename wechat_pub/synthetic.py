"""Synthetic bilingual issues of any size, for benchmarks and tests (deterministic per seed).

The text is drawn from a small bilingual vocabulary of the newsletter's field, so that sizes,
scripts and search behaviour resemble real issues without shipping real articles.
"""

from __future__ import annotations

import random

from wechat_pub import model as m

ZH_WORDS = ("个人信息", "数据安全", "网络安全", "监管机构", "跨境传输", "隐私保护", "合规指南", "执法案例", "平台责任",
            "算法推荐", "数据出境", "安全评估", "行政处罚", "标准规范", "关键信息基础设施", "未成年人", "人脸识别",
            "征求意见稿", "实施方案", "典型案例", "苹果", "谷歌", "接触者追踪", "应用程序", "欧盟委员会", "公安部")
EN_WORDS = ("personal information", "data security", "cybersecurity", "regulator", "cross-border transfer",
            "privacy", "compliance guidance", "enforcement", "platform liability", "algorithm", "security assessment",
            "administrative penalty", "standard", "critical infrastructure", "minors", "facial recognition",
            "draft for comment", "implementation plan", "typical cases", "Apple", "Google", "contact tracing",
            "apps", "European Commission", "GDPR", "the authority", "published", "requires", "companies")
SECTIONS = (("国内要闻", "Domestic News"), ("海外动态", "Overseas News"), ("执法动态", "Enforcement"),
            ("立法进展", "Legislation"), ("行业观察", "Industry Watch"), ("案例评析", "Case Notes"),
            ("专题研究", "Research"), ("活动预告", "Events"))


KEYWORD_RATE = 0.015  # share of words that are a field keyword: each keyword lands in about 2 % of items


def _filler_vocabulary(seed: int = 20201) -> tuple[list[str], list[str]]:
    """A few thousand made-up Chinese and English words: the bulk of the text, so that the field's keywords
    are as rare in the archive as in a real one (searching a corpus of 26 words would test nothing)."""
    rng = random.Random(seed)
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    zh = ["".join(rng.choice(han) for _ in range(rng.choice((2, 2, 2, 3, 4)))) for _ in range(6000)]
    syllables = ["ka", "ren", "tor", "mi", "sal", "ve", "den", "lo", "pra", "quin", "ber", "tis", "mon", "del",
                 "ari", "us", "gen", "fol", "nix", "ter", "sa", "bri", "cor", "hal"]
    en = ["".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3)))) for _ in range(4000)]
    return zh, en


ZH_FILLER, EN_FILLER = _filler_vocabulary()


class IssueFactory:
    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)

    def zh_word(self) -> str:
        return self.rng.choice(ZH_WORDS) if self.rng.random() < KEYWORD_RATE else self.rng.choice(ZH_FILLER)

    def en_word(self) -> str:
        return self.rng.choice(EN_WORDS) if self.rng.random() < KEYWORD_RATE else self.rng.choice(EN_FILLER)

    def zh_sentence(self) -> str:
        words = [self.zh_word() for _ in range(self.rng.randint(4, 9))]
        return "，".join("".join(words[i:i + 3]) for i in range(0, len(words), 3)) + "。"

    def en_sentence(self) -> str:
        words = [self.en_word() for _ in range(self.rng.randint(8, 16))]
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self, lang: str, sentences: int) -> m.Paragraph:
        make = self.zh_sentence if lang == "zh" else self.en_sentence
        joiner = "" if lang == "zh" else " "
        return m.Paragraph((m.Text(joiner.join(make() for _ in range(sentences))),))

    def item(self, number: int, paragraphs: int = 2, sentences: int = 5) -> m.Item:
        zh_head = "".join(self.rng.sample(ZH_WORDS, 3)) + f"第{number}号通报"
        en_head = " ".join(w.title() for w in self.rng.sample(EN_WORDS, 4)) + f" Notice {number}"
        return m.Item(m.Bilingual(zh_head, en_head),
                      tuple(self.paragraph("zh", sentences) for _ in range(paragraphs)),
                      tuple(self.paragraph("en", sentences) for _ in range(paragraphs)),
                      (m.Source(f"https://example.org/notice/{number}", f"Notice {number}"),))

    def issue(self, number: int = 1, sections: int = 2, items_per_section: int = 3, paragraphs: int = 2,
              sentences: int = 5, date: str = "2026-12-02") -> m.Issue:
        built, counter = [], 0
        for index in range(sections):
            zh, en = SECTIONS[index % len(SECTIONS)]
            items = []
            for _ in range(items_per_section):
                counter += 1
                items.append(self.item(counter, paragraphs, sentences))
            built.append(m.Section(m.Bilingual(zh, en), tuple(items)))
        return m.Issue(number, date, m.Bilingual("数据合规周报", "Weekly Data Protection Review"), tuple(built),
                       path=f"synthetic-{number}.md")
