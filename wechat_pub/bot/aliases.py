"""Other names for the same body or law: 发改委 is 国家发展改革委 is NDRC. A query's word that is not found as
written is looked for under every name of its group (see :mod:`wechat_pub.bot.search`).

The table ships with the project (the regulators, courts, ministries, laws and bodies the newsletter's field
names); an account adds its own groups in config (``webhook.aliases``), and a group of its that shares a name
with one shipped is merged into it. :func:`alias_candidates` proposes new ones: queries that found nothing but
are close to words the archive has, for the team to confirm.
"""

from __future__ import annotations

import re
from typing import Iterable

from wechat_pub.bot.fold import fold

SHIPPED: tuple[tuple[str, ...], ...] = (
    # Chinese regulators and ministries
    ("网信办", "国家网信办", "中央网信办", "国家互联网信息办公室", "CAC", "Cyberspace Administration of China"),
    ("发改委", "国家发改委", "国家发展改革委", "国家发展和改革委员会", "NDRC",
     "National Development and Reform Commission"),
    ("工信部", "工业和信息化部", "MIIT", "Ministry of Industry and Information Technology"),
    ("公安部", "MPS", "Ministry of Public Security"),
    ("市场监管总局", "国家市场监督管理总局", "SAMR", "State Administration for Market Regulation"),
    ("人民银行", "中国人民银行", "央行", "PBOC", "People's Bank of China"),
    ("信安标委", "全国信息安全标准化技术委员会", "TC260"),
    ("全国人大常委会", "人大常委会", "NPC Standing Committee", "NPCSC"),
    # courts
    ("最高法", "最高人民法院", "SPC", "Supreme People's Court"),
    ("最高检", "最高人民检察院", "SPP", "Supreme People's Procuratorate"),
    # Chinese laws
    ("个保法", "个人信息保护法", "PIPL", "Personal Information Protection Law"),
    ("数安法", "数据安全法", "DSL", "Data Security Law"),
    ("网安法", "网络安全法", "CSL", "Cybersecurity Law"),
    # abroad
    ("GDPR", "通用数据保护条例", "一般数据保护条例", "General Data Protection Regulation"),
    ("EDPB", "欧洲数据保护委员会", "欧盟数据保护委员会", "European Data Protection Board"),
    ("EDPS", "欧洲数据保护监督员", "European Data Protection Supervisor"),
    ("ICO", "英国信息专员办公室", "信息专员办公室", "Information Commissioner's Office"),
    ("CNIL", "法国国家信息与自由委员会", "法国数据保护机构"),
    ("FTC", "美国联邦贸易委员会", "联邦贸易委员会", "Federal Trade Commission"),
    ("CCPA", "加州消费者隐私法", "California Consumer Privacy Act"),
    ("欧盟委员会", "欧委会", "European Commission"),
)


class AliasTable:
    """Folded name -> every folded name of its group (itself included)."""

    def __init__(self, groups: Iterable[Iterable[str]] = SHIPPED, extra: Iterable[Iterable[str]] = ()):
        self._groups: dict[str, frozenset[str]] = {}
        for group in (*groups, *extra):
            self.add(group)

    def add(self, names: Iterable[str]) -> None:
        folded = {fold(str(name)).strip() for name in names} - {""}
        merged = set(folded)
        for name in folded:  # a group sharing a name with one known is the same body
            merged |= self._groups.get(name, frozenset())
        group = frozenset(merged)
        for name in group:
            self._groups[name] = group

    def names_of(self, word: str) -> frozenset[str]:
        """Every name of ``word``'s group (folded), or none when it has no other name."""
        return self._groups.get(word, frozenset())

    def words(self) -> frozenset[str]:
        """Every folded name: a query's Chinese runs are split by these too (发改委发布 -> 发改委, 发布)."""
        return frozenset(self._groups)


def table_for(extra: Iterable[str] = ()) -> AliasTable:
    """The shipped table with an account's own groups (``webhook.aliases``: one string per group, its names
    separated by "/" or "|")."""
    return AliasTable(SHIPPED, [re.split(r"[/|]", group) for group in extra or () if isinstance(group, str)])


def alias_candidates(archive, queries: Iterable[tuple[str, int, int]]) -> list[tuple[str, int, list[str]]]:
    """(query, times asked, indexed words close to it) for each query that found nothing and is close to words
    the archive has: what the team may confirm as other names (``webhook.aliases``)."""
    found = []
    for query, count, _followers in queries:
        close = archive.close_words(query, limit=4)
        if close:
            found.append((query, count, close))
    return found
