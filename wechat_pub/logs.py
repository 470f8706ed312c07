"""Logging that never prints a secret: access tokens in URLs and every configured secret are masked
in every record, whoever logs it (us, wechatpy, requests, werkzeug); and access-log lines, which carry what
anyone sends, are cut to a bounded length."""

from __future__ import annotations

import logging
import re

# Access logs write what anyone on the internet sends (the request line): each line is cut at this length.
ACCESS_LOGGERS = {"werkzeug", "gunicorn.access"}
ACCESS_LINE_MAX = 500
# (openid: a follower's ID, in every webhook request's URL; what followers ask is kept only with a salted hash)
_TOKEN_IN_URL = re.compile(r"((?:access_token|secret|msg_signature|signature|openid)=)[^&\s\"']+")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # werkzeug colours its access lines, also into a file


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str] | None = None):
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s and len(s) >= 4]

    def redact(self, text: str) -> str:
        text = _TOKEN_IN_URL.sub(r"\1***", text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if record.name in ACCESS_LOGGERS:
            clean = _ANSI.sub("", clean)
            if len(clean) > ACCESS_LINE_MAX:  # an URL of 64 KB, from anyone
                clean = f"{clean[:ACCESS_LINE_MAX]}… ({len(clean) - ACCESS_LINE_MAX} characters not logged)"
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(secrets: list[str], level: int = logging.WARNING) -> RedactingFilter:
    """Log to stderr through the redacting filter, and put the filter on every handler there is."""
    redactor = RedactingFilter(secrets)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    for handler in root.handlers:
        handler.addFilter(redactor)
    for name in ("werkzeug", "wechatpy", "urllib3", "apscheduler", "gunicorn.error", "gunicorn.access"):
        logging.getLogger(name).addFilter(redactor)
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))  # it logs every job run at INFO
    return redactor
