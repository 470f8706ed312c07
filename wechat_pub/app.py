"""The web app factory: the webhook at its configured path and ``/healthz``.

    gunicorn -w 4 -b 0.0.0.0:8000 'wechat_pub.app:create_app()'
"""

from __future__ import annotations

import logging
import os
import secrets
import time

from flask import Flask, Response, jsonify

from wechat_pub.bot.replies import Replier
from wechat_pub.bot.search import Archive
from wechat_pub.bot.webhook import Bot, WebhookSettings, init_app
from wechat_pub.config import Config, load_config
from wechat_pub.errors import ConfigError
from wechat_pub.logs import setup_logging
from wechat_pub.bot.records import QueryLog, StoreReplies
from wechat_pub.store import Store

log = logging.getLogger(__name__)


def create_app(config: Config | None = None, archive: Archive | None = None) -> Flask:
    cfg = config or load_config()
    setup_logging(cfg.secrets(), logging.INFO)
    if not cfg.uses_sandbox and not cfg["webhook.token"]:
        raise ConfigError("webhook.token is empty: anyone could sign messages to the webhook.",
                          "Set WECHAT_PUB_WEBHOOK__TOKEN to the Token of mp.weixin.qq.com → 服务器配置.")
    app = Flask("wechat_pub")
    app.config["MAX_CONTENT_LENGTH"] = cfg["webhook.max_body"]
    store = Store(cfg.database_url())
    archive = archive or open_archive(cfg)
    bot = build_bot(cfg, store, archive)
    init_app(app, bot, cfg["webhook.path"])
    app.extensions["wechat_pub.archive"] = archive

    @app.get("/healthz")
    def healthz():
        latest = archive.latest()
        return jsonify(ok=True, issues=latest.issue if latest else None)

    @app.errorhandler(413)
    def too_large(_error):
        return Response("request body too large", status=413, content_type="text/plain")

    @app.errorhandler(Exception)
    def unexpected(error):  # never a traceback to WeChat: log it, and say nothing it would show
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            return Response(error.description or error.name, status=error.code, content_type="text/plain")
        log.exception("webhook failed")
        return Response("success", status=200, content_type="text/plain")

    return app


def create_service(config: Config | None = None) -> Flask:
    """The webhook plus a scheduler candidate, for gunicorn: every worker competes for the scheduler's
    lease and exactly one runs the schedule.

        gunicorn -w 4 -b 127.0.0.1:8000 'wechat_pub.app:create_service()'
    """
    from wechat_pub.publish.scheduler import SchedulerService

    cfg = config or load_config()
    app = create_app(cfg)
    scheduler = SchedulerService(cfg)
    scheduler.start()
    app.extensions["wechat_pub.scheduler"] = scheduler
    return app


def webhook_settings(cfg: Config, salt: str) -> WebhookSettings:
    aes_key = cfg["webhook.aes_key"]
    return WebhookSettings(
        token=cfg["webhook.token"],
        appid=cfg["webhook.appid"] or cfg["wechat.appid"] or "wx_sandbox",
        aes_key=aes_key,
        mode=cfg["webhook.mode"] or ("safe" if aes_key else "plain"),
        max_clock_skew=cfg["webhook.max_clock_skew"],
        menu=cfg["webhook.menu"],
        query_salt=salt,
    )


def open_archive(cfg: Config) -> Archive:
    return Archive(cfg.resolve_path("paths.articles"), cfg.resolve_path("paths.state") / "search.sqlite3",
                   cfg["publisher.timezone"])


def build_replier(cfg: Config, store: Store | None = None, archive: Archive | None = None,
                  urls: "_Cached | None" = None) -> Replier:
    store = store or Store(cfg.database_url())
    appid = cfg["wechat.appid"] or "wx_sandbox"
    urls = urls or _Cached(lambda: store.published_urls(appid))
    covers = _Cached(lambda: store.cover_urls(appid))
    return Replier(archive or open_archive(cfg), urls_for=lambda issue: urls().get(issue, []),
                   max_results=cfg["webhook.max_results"], welcome=cfg["webhook.welcome"],
                   news_reply=cfg["webhook.reply"] == "news", cover_for=lambda issue: covers().get(issue, ""))


def build_bot(cfg: Config, store: Store, archive: Archive) -> Bot:
    appid = cfg["wechat.appid"] or "wx_sandbox"
    urls = _Cached(lambda: store.published_urls(appid))
    replier = build_replier(cfg, store, archive, urls)

    def on_published(publish_id: str, article_urls: list[str]) -> None:
        record = store.push_by_publish_id(appid, publish_id)
        if record is None:
            log.warning("PUBLISHJOBFINISH for publish_id %s, which wechat-pub did not submit", publish_id)
            return
        store.push_save(appid, record.issue, state="published", article_urls=article_urls)
        store.log(appid, record.issue, "published", " ".join(article_urls))
        urls.clear()

    replies = _replies(cfg, store)
    query_log = QueryLog(store, cfg["webhook.query_log_delay"])
    return Bot(webhook_settings(cfg, query_salt(cfg)), replier, replies, query_log, on_published)


def _replies(cfg: Config, store: Store):
    if cfg["state.redis_url"]:
        from wechat_pub.redis_store import RedisReplies

        return RedisReplies(cfg["state.redis_url"])
    return StoreReplies(store)


def query_salt(cfg: Config) -> str:
    """The configured salt, else one generated once and kept in the state folder."""
    if cfg["webhook.query_salt"]:
        return cfg["webhook.query_salt"]
    path = cfg.resolve_path("paths.state") / "query-salt"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(16))
    except FileExistsError:
        pass
    return path.read_text().strip()


class _Cached:
    """A value recomputed at most every few seconds (published URLs change rarely)."""

    def __init__(self, compute, seconds: float = 5.0):
        self.compute, self.seconds = compute, seconds
        self.value, self.at = None, 0.0

    def __call__(self):
        if self.value is None or time.monotonic() - self.at > self.seconds:
            self.value, self.at = self.compute(), time.monotonic()
        return self.value

    def clear(self) -> None:
        self.value = None
