"""Render options from the configuration (the only place the renderer meets the config)."""

from __future__ import annotations

from wechat_pub.config import Config
from wechat_pub.errors import ConfigError
from wechat_pub.render.article import Publisher, RenderOptions
from wechat_pub.render.theme import load_theme


def publisher_from_config(cfg: Config) -> Publisher:
    return Publisher(
        name_zh=cfg["publisher.name_zh"],
        name_en=cfg["publisher.name_en"],
        newsletter_zh=cfg["publisher.newsletter_zh"],
        newsletter_en=cfg["publisher.newsletter_en"],
        author=cfg["publisher.author"],
        disclaimer_zh=cfg["publisher.disclaimer_zh"],
        disclaimer_en=cfg["publisher.disclaimer_en"],
        contact=tuple(cfg["publisher.contact"]),
    )


def options_from_config(cfg: Config, theme: str | None = None) -> RenderOptions:
    name = theme or cfg["theme.name"]
    try:
        loaded = load_theme(name, cfg["theme.accent"])
    except ValueError as exc:
        where = cfg.path or "configuration"
        raise ConfigError(f"{where}: {exc}.", "Set theme.name to one of the themes listed.") from None
    return RenderOptions(theme=loaded, publisher=publisher_from_config(cfg))
