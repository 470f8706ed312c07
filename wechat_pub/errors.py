"""One family of errors. Each carries the exit status the CLI uses and the HTTP status a web
boundary uses, so each boundary converts an error with one lookup."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1  # the input has problems (check found errors, bad article, bad config)
    USAGE = 2  # click's own usage errors
    WECHAT = 3  # WeChat (or the sandbox) refused or failed
    NETWORK = 4  # could not reach the API at all


class WechatPubError(Exception):
    """Base of every error a user can cause. ``str()`` is the message shown to the user."""

    exit_status = ExitStatus.ERROR

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(WechatPubError):
    """The configuration file or environment is wrong."""


class UsageError(WechatPubError):
    """A command was given an option it cannot use (the CLI shows it as a usage error)."""

    exit_status = ExitStatus.USAGE


class ArticleError(WechatPubError):
    """An article file cannot be read or built into an issue."""

    def __init__(self, message: str, hint: str = "", problems=()):
        super().__init__(message, hint)
        self.problems = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return "\n".join([self.message, *(str(p) for p in self.problems)])


class NewsletterImportError(WechatPubError):
    """A newsletter text could not be imported."""
