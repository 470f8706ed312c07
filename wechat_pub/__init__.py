"""wechat-pub: publish a bilingual newsletter to a WeChat official account."""

__version__ = "0.1.0"
