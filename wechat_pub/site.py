"""The composition root, per account: a :class:`Site` holds one WeChat account's collaborators, built once
from the config: its app id, articles folder, publisher and brand, render options, push ledger, schedule runs,
upload cache, API client, search archive and webhook. It is given what the accounts share (the
:class:`~wechat_pub.services.Services`: state database, Redis, locks...) and how to reach the sandbox;
:class:`wechat_pub.deployment.Deployment` builds both and holds the Sites of one config. The CLI, the web app,
the scheduler and status take a Site or the Deployment; nothing else reads config keys to build collaborators.

Collaborators are made on first use (``cached_property``), so a command pays only for what it touches.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from wechat_pub.config import DEFAULT_ACCOUNT, Config
from wechat_pub.errors import ConfigError
from wechat_pub.sandbox.credentials import sandbox_credentials
from wechat_pub.services import Services
from wechat_pub.source.folder import ArticleFolder

if TYPE_CHECKING:  # pragma: no cover
    from wechat_pub.publish.account import Account
    from wechat_pub.publish.push import Pusher
    from wechat_pub.render.options import Publisher, RenderOptions
    from wechat_pub.sandbox.server import RunningSandbox


class Site:
    """One WeChat account and its collaborators."""

    def __init__(self, cfg: Config, services: Services, start_sandbox: Callable[[], "RunningSandbox"]):
        """``start_sandbox``: the sandbox serving the accounts without credentials (started on first call)."""
        self.services = services
        self._start_sandbox = start_sandbox
        self.cfg = cfg
        self.name = cfg.name
        self.clock = services.clock
        self.uses_sandbox = cfg.uses_sandbox
        sandbox_appid, sandbox_secret = sandbox_credentials(self.name)
        self.appid: str = cfg["wechat.appid"] or sandbox_appid
        self._secret: str = cfg["wechat.secret"] or sandbox_secret
        self.timezone: str = cfg["publisher.timezone"]
        articles = Path(cfg.resolve_path("paths.articles"))
        self.articles = ArticleFolder(articles, self.timezone, known=self._folder_record(articles, "files.json"))
        from wechat_pub.publish.deliver import schedule_settings

        self.schedule = schedule_settings(cfg)

    def __repr__(self) -> str:
        return f"<Site {self.name} {self.appid}>"

    @property
    def label(self) -> str:
        """How messages name the account: 'the sandbox', or the account and its app id."""
        who = "the sandbox" if self.uses_sandbox else f"account {self.appid}"
        return who if self.name == DEFAULT_ACCOUNT else f"{who} ({self.name})"

    # ---- what the issues look like -------------------------------------------------------------------

    @cached_property
    def publisher(self) -> "Publisher":
        from wechat_pub.render.options import Publisher

        cfg = self.cfg
        return Publisher(name_zh=cfg["publisher.name_zh"], name_en=cfg["publisher.name_en"],
                         newsletter_zh=cfg["publisher.newsletter_zh"], newsletter_en=cfg["publisher.newsletter_en"],
                         author=cfg["publisher.author"], disclaimer_zh=cfg["publisher.disclaimer_zh"],
                         disclaimer_en=cfg["publisher.disclaimer_en"], contact=tuple(cfg["publisher.contact"]),
                         qr_code=str(cfg.resolve_path("publisher.qr_code")) if cfg["publisher.qr_code"] else "")

    @property
    def brand(self) -> str:
        """The masthead's brand line: the newsletter's names, else the publisher's (one rule, everywhere)."""
        return self.publisher.brand

    @property
    def account_name(self) -> str:
        """The account as followers see it above an article."""
        return self.publisher.name_zh or self.publisher.name_en

    def render_options(self, theme: str | None = None) -> "RenderOptions":
        from wechat_pub.render.options import RenderOptions
        from wechat_pub.render.theme import load_theme

        try:
            loaded = load_theme(theme or self.cfg["theme.name"], self.cfg["theme.accent"])
        except ValueError as exc:
            raise ConfigError(f"{self.cfg.path or 'configuration'}: {exc}.",
                              "Set theme.name to one of the themes listed.") from None
        return RenderOptions(theme=loaded, publisher=self.publisher, lead_language=self.cfg["theme.lead_language"],
                             image_folders=(str(self.articles.path), str(self.cfg.resolve_path("paths.assets"))))

    def import_brand(self) -> tuple[list[str], list[str]]:
        """The publisher's standing masthead and footer lines, which the importer recognises and leaves out."""
        publisher = self.publisher
        brand = [publisher.name_zh, publisher.name_en, publisher.newsletter_zh, publisher.newsletter_en]
        footer = [publisher.disclaimer_zh, publisher.disclaimer_en, *publisher.contact]
        return [b for b in brand if b], [f for f in footer if f]

    # ---- what wechat-pub remembers for this account --------------------------------------------------

    @cached_property
    def pushes(self):
        from wechat_pub.state.pushes import PushLedger

        return PushLedger(self.services.db, self.appid, self.clock)

    @cached_property
    def sends(self):
        from wechat_pub.state.sends import SendLedger

        return SendLedger(self.services.db, self.appid, self.clock)

    @cached_property
    def analytics(self):
        from wechat_pub.state.analytics import AnalyticsStore

        return AnalyticsStore(self.services.db, self.appid, self.clock)

    @cached_property
    def previews(self):
        from wechat_pub.state.previews import PhonePreviews

        return PhonePreviews(self.services.db, self.appid, self.clock)

    @cached_property
    def runs(self):
        from wechat_pub.state.runs import ScheduleRuns

        return ScheduleRuns(self.services.db, self.appid, self.clock)

    @property
    def measured_limits(self) -> dict:
        """The account's field limits as ``doctor --limits`` measured them ({} before): the preflight's."""
        from wechat_pub.state.fieldlimits import MeasuredLimits

        return MeasuredLimits(self.services.db, self.appid).get()

    @cached_property
    def uploads(self):
        from wechat_pub.state.uploads import UploadCache

        return UploadCache(self.services.db, self.appid, self.clock)

    @cached_property
    def approvals(self):
        from wechat_pub.state.audit import Approvals

        return Approvals(self.services.db, self.appid, self.clock)

    @property
    def require_approval(self) -> bool:
        return self.cfg["console.require_approval"]

    # ---- telling the team ---------------------------------------------------------------------------

    @cached_property
    def notifier(self):
        """Where the team hears what happened: the account's WeCom robot and/or e-mail (none configured: no one)."""
        from wechat_pub.notify import Email, Notifier, WeComRobot

        cfg, channels = self.cfg, []
        if cfg["notify.wecom_webhook"]:
            channels.append(WeComRobot(cfg["notify.wecom_webhook"]))
        if cfg["notify.smtp_host"] and cfg["notify.email_to"]:
            channels.append(Email(cfg["notify.smtp_host"], cfg["notify.smtp_port"], cfg["notify.smtp_starttls"],
                                  cfg["notify.smtp_user"], cfg["notify.smtp_password"],
                                  cfg["notify.email_from"] or "wechat-pub@localhost", cfg["notify.email_to"]))
        return Notifier(channels)

    def notice(self, issue: int, event: str, detail: str):
        from wechat_pub.notify import Notice

        return Notice(self.account_name or self.name, issue, event, detail, self.console_link(issue),
                      self.cfg["console.language"])

    def console_link(self, issue: int) -> str:
        return f"{self.services.console_url}/console/{self.name}/issues/{issue}"

    @cached_property
    def query_log(self):
        from wechat_pub.state.querylog import QueryLog

        return QueryLog(self.services.db, self.appid, self.services.query_spool, self.clock)

    @cached_property
    def query_retention(self):
        from wechat_pub.state.queryretention import QueryRetention

        return QueryRetention(self.services.db, self.appid, self.cfg["webhook.query_log_days"], self.clock)

    # ---- WeChat ----------------------------------------------------------------------------------------

    def connect(self) -> "Account":
        """The API client of this account: WeChat's, or the sandbox's (one already running on the configured
        port, or one started for this process). Close it when done."""
        from wechat_pub.publish.account import Account
        from wechat_pub.wechat import WeChatAPI

        options = {"token_mode": self.cfg["wechat.token_mode"], "retry_window": self.cfg["wechat.retry_seconds"],
                   "clock": self.clock.time, "sleep": self.clock.sleep}
        running = self._start_sandbox() if self.uses_sandbox else None
        base_url = running.api_base if running else self.cfg["wechat.base_url"]
        api = WeChatAPI(self.appid, self._secret, self.services.token_storage, self.services.locks, base_url,
                        sandbox=running is not None, **options)
        return Account(api, self.label, running)

    def pusher(self, account: "Account", progress=None, theme: str | None = None) -> "Pusher":
        from wechat_pub.publish.push import Pusher
        from wechat_pub.state.pushes import PushLedger

        left_behind = self.services.left_behind
        return Pusher(account.api, self.pushes, self.uploads, self.render_options(theme), self.brand,
                      left_behind=PushLedger(left_behind, self.appid, self.clock) if left_behind else None,
                      progress=progress, clock=self.clock, keep_dir=self.services.state_dir / "wechat-drafts",
                      locks=self.services.locks, lease=self.cfg["schedule.lease_seconds"],
                      text_of=self.library.text_of)

    @cached_property
    def library(self):
        """The account's issues as every host sees them: the shared database's copy, in step with this host's
        articles folder."""
        from wechat_pub.library import Library
        from wechat_pub.state.issues import IssueStore

        record = self._folder_record(self.articles.path, "json")
        return Library(self.articles, IssueStore(self.services.db, self.appid, self.clock), record, self.clock)

    def _folder_record(self, folder: Path, suffix: str) -> Path:
        """A file of this host's state about the account's articles folder (named after the folder's path)."""
        import hashlib

        key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:10]
        return self.services.state_dir / "folders" / f"{self.name}-{key}.{suffix}"

    # ---- followers ---------------------------------------------------------------------------------------

    @cached_property
    def search(self):
        """What followers may find, and the search index over it (:mod:`wechat_pub.bot.visibility`)."""
        from wechat_pub.bot.visibility import FollowerSearch

        return FollowerSearch(self.library, self.pushes, self.clock, self.cfg["webhook.search_scope"],
                              self.services.state_dir, self.name, self.cfg.path, self.cfg["webhook.aliases"],
                              self.runs, self.sends)

    def archive(self, scope: str | None = None, live: bool = False):
        """The search index of ``scope`` (default: the configured one); ``live``: the webhook's, updated by a
        separate process."""
        return self.search.archive(scope, live)

    def replier(self, scope: str | None = None, live: bool = False):
        """What followers get back. Published links and covers come from the state database through the
        webhook's bounded engine, cached; while the database is away the last ones known are used."""
        from wechat_pub.bot.cached import Cached
        from wechat_pub.bot.replies import Replier
        from wechat_pub.state.pushes import PushLedger

        ledger = PushLedger(self.services.bounded_db, self.appid, self.clock)
        urls = Cached(ledger.published_urls, self.clock, fallback={})
        covers = Cached(ledger.cover_urls, self.clock, fallback={})
        return Replier(self.archive(scope, live), urls_for=lambda issue: urls().get(issue, []),
                       max_results=self.cfg["webhook.max_results"], welcome=self.cfg["webhook.welcome"],
                       news_reply=self.cfg["webhook.reply"] == "news", cover_for=lambda issue: covers().get(issue, ""),
                       forget_urls=urls.clear, sources=lambda: (urls(), covers()))

    def webhook_settings(self):
        from wechat_pub.bot.webhook import WebhookSettings

        cfg = self.cfg
        aes_key = cfg["webhook.aes_key"]
        return WebhookSettings(token=cfg["webhook.token"], appid=cfg["webhook.appid"] or self.appid, aes_key=aes_key,
                               mode=cfg["webhook.mode"] or ("safe" if aes_key else "plain"),
                               max_clock_skew=cfg["webhook.max_clock_skew"], menu=cfg["webhook.menu"],
                               query_salt=self.services.query_salt(), path=cfg["webhook.path"])

    def bot(self):
        """The webhook's message handler for this account."""
        from wechat_pub.bot.webhook import Bot
        from wechat_pub.publish.failed import on_event

        if not self.uses_sandbox and not self.cfg["webhook.token"]:
            raise ConfigError(f"webhook.token of account {self.name!r} is empty: anyone could sign messages to its "
                              "webhook.", "Set WECHAT_PUB_WEBHOOK__TOKEN (or WECHAT_PUB_ACCOUNTS__NAME__WEBHOOK__"
                                          "TOKEN) to the Token of mp.weixin.qq.com → 服务器配置.")
        replier = self.replier(live=True)
        from wechat_pub.publish.sendresult import on_mass_finished

        return Bot(self.webhook_settings(), replier, self.services.replies, self.query_log,
                   on_published=self.record_published(replier), on_publish_failed=on_event(self),
                   on_mass_finished=on_mass_finished(self, replier), clock=self.clock)

    def record_published(self, replier):
        """What a PUBLISHJOBFINISH does (:mod:`wechat_pub.publish.events`): the push record learns its article
        URLs, the replier forgets the links it cached, the team hears of it."""
        from wechat_pub.publish.events import PublishEvents
        from wechat_pub.state.pushes import PushLedger

        def published(issue: int, article_urls: list[str]) -> None:
            replier.forget_urls()
            self.notifier.notify_later(self.notice(issue, "published", " ".join(article_urls)))

        bounded = PushLedger(self.services.bounded_db, self.appid, self.clock)
        return PublishEvents(bounded, self.pushes, published, self.clock, self.lost_publish_of).on_published

    def lost_publish_of(self, article_id: str):
        """The push record of the publish whose submit's answer was lost that article ``article_id`` is of (it
        carries that push's marker: WeChat is asked for it), or None (one made by hand, or by another tool)."""
        from wechat_pub.publish.markers import marker_for

        lost = self.pushes.lost_submits()
        if not lost:
            return None
        with self.connect() as account:
            contents = [item.get("content", "") for item in account.api.freepublish.getarticle(article_id)]
        for record in lost:
            needle = f'data-wechat-pub="{marker_for(self.appid, record.issue, record.content_hash)}"'
            if any(needle in content for content in contents):
                return record
        return None
