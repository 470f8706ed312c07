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


# A three-part issue as the team sends one when an issue is long: each part a section of its own, and one story
# (its headline marked with the part) continued in every part. Hand-written, so that relevance can be judged.
_TRACING = ("苹果和谷歌发布蓝牙接触者追踪接口（{zh}）", "Apple and Google Release the Bluetooth Contact Tracing API ({en})",
            "苹果和谷歌公布了基于蓝牙的接触者追踪接口的{zh}细节，强调用户隐私。",
            "Apple and Google published the {en} details of their Bluetooth-based contact tracing API, "
            "stressing user privacy.")
_PARTS = (
    (("第一部分", "Part 1"), (
        ("工业和信息化部开展应用程序侵害用户权益专项整治", "MIIT Launches a Campaign Against Apps Infringing Users' Rights",
         "工业和信息化部部署开展侵害用户权益的应用程序专项整治行动，重点整治违规收集个人信息。",
         "The Ministry of Industry and Information Technology launched a campaign against apps that infringe "
         "users' rights, focusing on the illegal collection of personal information."),
        ("《个人信息保护法（草案）》提请全国人大常委会审议", "Draft Personal Information Protection Law Submitted for Review",
         "《个人信息保护法（草案）》提请全国人大常委会初次审议，明确了个人信息处理规则和跨境提供规则。",
         "The draft law on the protection of personal information was submitted to the NPC Standing Committee for "
         "a first reading, setting rules on processing and on cross-border provision."),
    )),
    (("第二部分", "Part 2"), (
        ("国家互联网信息办公室等十二部门发布《网络安全审查办法》", "Twelve Authorities Issue the Cybersecurity Review Measures",
         "国家互联网信息办公室等十二部门联合发布《网络安全审查办法》，关键信息基础设施运营者采购网络产品应当预判安全风险。",
         "Twelve authorities led by the Cyberspace Administration jointly issued the Cybersecurity Review Measures: "
         "operators of critical information infrastructure must assess the risks of network products they buy."),
        ("欧洲数据保护委员会通过关于同意的指南", "European Data Protection Board Adopts Guidelines on Consent",
         "欧洲数据保护委员会更新了《通用数据保护条例》下关于同意的指南，澄清了“cookie墙”的效力。",
         "The board updated its guidelines on consent under the General Data Protection Regulation, clarifying "
         "the validity of cookie walls."),
    )),
    (("第三部分", "Part 3"), (
        ("《数据安全法（草案）》公开征求意见", "Draft Data Security Law Open for Public Comment",
         "全国人大常委会公布《数据安全法（草案）》，向社会公开征求意见，建立数据分类分级保护制度。",
         "The NPC Standing Committee published the draft law on data security for public comment, setting up "
         "classified and graded protection of data."),
        ("全国人大常委会开展网络安全法执法检查", "NPC Standing Committee Inspects the Enforcement of the Cybersecurity Law",
         "全国人大常委会执法检查组检查《网络安全法》的实施情况，关注个人信息保护和网络安全等级保护。",
         "An inspection team of the NPC Standing Committee checked how the Cybersecurity Law is enforced, looking at "
         "personal information protection and the multi-level protection scheme."),
    )),
)


def split_issue(number: int = 137, date: str = "2020-05-11") -> m.Issue:
    """A three-part issue (sections 第一部分 | Part 1 …) whose tracing story goes on in every part."""
    sections = []
    for (part_zh, part_en), stories in _PARTS:
        tracing = tuple(text.format(zh=part_zh, en=part_en) for text in _TRACING)
        items = tuple(_story(*story) for story in (tracing, *stories))
        sections.append(m.Section(m.Bilingual(part_zh, part_en), items))
    return m.Issue(number, date, m.Bilingual("数据合规周报", "Weekly Data Protection Review"), tuple(sections),
                   path=f"synthetic-{number}.md")


def _story(headline_zh: str, headline_en: str, body_zh: str, body_en: str) -> m.Item:
    return m.Item(m.Bilingual(headline_zh, headline_en), (m.Paragraph((m.Text(body_zh),)),),
                  (m.Paragraph((m.Text(body_en),)),))
