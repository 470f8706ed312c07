"""What an issue is rendered with besides the issue: the theme, the publisher's standing lines, the uploaded images'
addresses and the lead language. Plain data, apart from the renderer: settings build it without loading the renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wechat_pub.render.theme import Theme, load_theme

if TYPE_CHECKING:  # pragma: no cover
    from wechat_pub.render.rules import ImageRef


@dataclass(frozen=True)
class Publisher:
    name_zh: str = ""
    name_en: str = ""
    newsletter_zh: str = ""
    newsletter_en: str = ""
    author: str = ""
    disclaimer_zh: str = ""
    disclaimer_en: str = ""
    contact: tuple[str, ...] = ()
    qr_code: str = ""  # a local image file, uploaded with the article's images

    @property
    def brand(self) -> str:
        """The masthead's brand line (also on generated covers): the newsletter's names, else the publisher's."""
        names = " · ".join(t for t in (self.newsletter_zh, self.newsletter_en) if t)
        return names or " · ".join(t for t in (self.name_zh, self.name_en) if t)


@dataclass(frozen=True)
class RenderOptions:
    theme: Theme = field(default_factory=load_theme)
    publisher: Publisher = field(default_factory=Publisher)
    images: dict[str, ImageRef] = field(default_factory=dict, hash=False, compare=False)
    lead_language: str = "zh"  # which language comes first: "zh" or "en"
    # where an article may take its images from, besides its own folder (the account's articles and assets
    # folders: wechat_pub.source.images decides); where the bytes come from does not change the draft
    image_folders: tuple[str, ...] = field(default=(), repr=False, compare=False)
