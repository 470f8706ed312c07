"""Every setting wechat-pub reads: its name, default, help text, and whether it is secret or shared by
the accounts of a deployment. :mod:`wechat_pub.config` loads and checks them; ``config show`` and
``config.example.toml`` are generated from this table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEARCH_SCOPES = ("published", "scheduled", "all")
LEAD_LANGUAGES = ("zh", "en")
CONSOLE_LANGUAGES = ("zh_CN", "en")  # the console's message catalogues; the first is the default


@dataclass(frozen=True)
class Setting:
    name: str  # "section.key"
    default: Any
    help: str
    secret: bool = False
    shared: bool = False  # one value for every account of the deployment
    login: str = ""  # a URL that may carry a password, read by "database" (SQLAlchemy) or "redis": that part is secret


SETTINGS: tuple[Setting, ...] = (
    # publisher: the standing identity, printed on every issue
    Setting("publisher.name_zh", "", "Publisher name in Chinese, shown in the masthead."),
    Setting("publisher.name_en", "", "Publisher name in English, shown in the masthead."),
    Setting("publisher.newsletter_zh", "", "Newsletter brand in Chinese (e.g. 立方观评)."),
    Setting("publisher.newsletter_en", "", "Newsletter brand in English (e.g. NEWSLETTER)."),
    Setting("publisher.author", "", "Default article author (at most 16 characters)."),
    Setting("publisher.disclaimer_zh", "", "Standing disclaimer in Chinese, printed at the end of every article."),
    Setting("publisher.disclaimer_en", "", "Standing disclaimer in English."),
    Setting("publisher.contact", [], "Contact footer lines (offices, web, email, phone), one string per line."),
    Setting("publisher.qr_code", "", "The account's QR code image (a file, relative to the config file), printed in "
            "the footer where it says 扫码关注; uploaded with the article's images. Empty: no QR code."),
    Setting("publisher.timezone", "Asia/Shanghai", "Time zone for publish times written without one."),
    # theme: how articles look
    Setting("theme.name", "classic", "Theme: 'classic' (navy accent, serif-free) or 'ink' (green accent, cards)."),
    Setting("theme.accent", "", "Accent colour as #rrggbb; empty keeps the theme's own. `check` refuses one that is "
            "under 4.5:1 in WeChat's light or dark mode."),
    Setting("theme.lead_language", "zh", "Which language leads each headline, body and the contents: 'zh' (Chinese "
            "first) or 'en' (English first, for English-speaking followers)."),
    # paths
    Setting("paths.articles", "articles", "Folder of article files, relative to the config file."),
    Setting("paths.assets", "assets", "Folder of shared images (the QR code, logos) that articles may show besides "
            "the images in the articles folder, relative to the config file."),
    Setting("paths.state", "state", "Folder for the state database, caches and the sandbox's data.", shared=True),
    # wechat: the official-account API (empty appid/secret = the built-in sandbox)
    Setting("wechat.appid", "", "AppID of the official account; empty uses the built-in sandbox."),
    Setting("wechat.secret", "", "AppSecret; prefer the WECHAT_PUB_WECHAT__SECRET environment variable.",
            secret=True),
    Setting("wechat.base_url", "https://api.weixin.qq.com/cgi-bin/", "API base URL."),
    Setting("wechat.token_mode", "stable", "'stable' (cgi-bin/stable_token, shared safely) or 'token' (cgi-bin/token)."),
    Setting("wechat.retry_seconds", 30.0, "How long to keep retrying busy (-1), minute quota (45011) and network errors."),
    # state: where wechat-pub keeps what it did
    Setting("state.database_url", "", "SQLAlchemy URL of the state database; empty: SQLite in paths.state.", shared=True,
            login="database"),
    Setting("state.redis_url", "", "Redis URL for the access token (and webhook retries) shared by several hosts.",
            shared=True, login="redis"),
    # sandbox: the built-in emulator of the WeChat API, used while wechat.appid is empty
    Setting("sandbox.host", "127.0.0.1", "Address the sandbox serves on.", shared=True),
    Setting("sandbox.port", 8200, "Port the sandbox serves on (wechat-pub sandbox, and pushes without credentials).", shared=True),
    Setting("sandbox.verified", True, "false: emulate a personal/unverified account (publishing answers 48001)."),
    Setting("sandbox.publish_delay", 2.0, "Seconds until a publish job in the sandbox finishes.", shared=True),
    Setting("sandbox.limits", "documented", "Title/author/digest limits the sandbox enforces: documented (32/16/128 "
            "characters) or reported (64/20 bytes for title/author, as accounts reported in 2025-26).", shared=True),
    Setting("sandbox.failed_publish_keeps_draft", True, "Whether a draft stays in the sandbox's draft box after its "
            "publish job fails (real WeChat: not known).", shared=True),
    Setting("sandbox.webhook_url", "", "Where the sandbox sends PUBLISHJOBFINISH events (your webhook)."),
    Setting("sandbox.kind", "subscription", "'subscription' (one mass send a day) or 'service' (4 a month)."),
    Setting("sandbox.mass_delay", 2.0, "Seconds until a mass send in the sandbox finishes (MASSSENDJOBFINISH).",
            shared=True),
    Setting("sandbox.phones", ["wxid_sandbox_reader"], "WeChat IDs that follow the sandbox's account (phone "
            "previews may go there)."),
    # schedule: pushing issues at their publish_at
    Setting("schedule.grace_hours", 6.0, "A push missed while the service was down still runs this late; later, "
            "it is marked missed."),
    Setting("schedule.publish", False, "true: a scheduled push also publishes (freepublish); false: draft only."),
    Setting("schedule.sync_seconds", 30.0, "How often the scheduler rereads the articles' publish_at.", shared=True),
    Setting("schedule.deliver", "", "What a scheduled issue does at its time: 'draft' (the draft box), 'publish' "
            "(freepublish: no follower is told) or 'send' (mass send to the followers); an article's 'deliver:' "
            "overrides it. Empty: from the older schedule.publish."),
    Setting("schedule.send_to_tag", "", "A scheduled send goes to followers with this tag (its name or id); "
            "empty: to everyone."),
    Setting("schedule.send_check_minutes", 10.0, "Ask message/mass/get when no MASSSENDJOBFINISH arrived this "
            "long after a send."),
    Setting("schedule.retry_minutes", 30.0, "How long a scheduled push keeps retrying transient WeChat errors."),
    Setting("schedule.lease_seconds", 30.0, "The scheduler's lease: another process takes over this long after "
            "the active one stops.", shared=True),
    # analytics: reads, shares and likes of what was sent or published (datacube), and the weekly note
    Setting("analytics.collect", True, "Fetch yesterday's figures of every sent or published issue each day (verified "
            "accounts; WeChat gives the data APIs to no other)."),
    Setting("analytics.collect_after", "08:30", "From this time of day (the publisher's zone) yesterday's figures are "
            "fetched (WeChat finishes them about 08:00 Beijing time)."),
    Setting("analytics.daily_calls", 100, "At most this many datacube calls a day per account (WeChat's quota is not "
            "documented; the day is Beijing's)."),
    Setting("analytics.retry_minutes", 60.0, "Figures WeChat said were not final (is_delay) are fetched again after "
            "this long."),
    Setting("analytics.weekly_note", "Mon 09:00", "When the weekly note goes to the team (notify.*), in the "
            "publisher's zone: a weekday and a time; empty: no weekly note."),
    # webhook: followers' messages (服务器配置 in mp.weixin.qq.com)
    Setting("webhook.path", "/wechat", "URL path of the webhook; the same in mp.weixin.qq.com → 服务器配置."),
    Setting("webhook.token", "", "Token of 服务器配置 (3-32 letters/digits); prefer WECHAT_PUB_WEBHOOK__TOKEN.",
            secret=True),
    Setting("webhook.aes_key", "", "EncodingAESKey (43 characters) for compatible and safe mode; prefer "
            "WECHAT_PUB_WEBHOOK__AES_KEY.", secret=True),
    Setting("webhook.appid", "", "AppID messages are encrypted for; default: wechat.appid (or the sandbox's)."),
    Setting("webhook.mode", "", "'plain', 'compat' or 'safe'; default: safe when aes_key is set, else plain."),
    Setting("webhook.max_body", 16384, "Largest request body accepted (bytes); larger ones get 413."),
    Setting("webhook.max_clock_skew", 300, "Refuse requests whose timestamp is further off than this (s); 0: off, "
            "only while the server's clock is fixed (a request replayed after two minutes is then run again)."),
    Setting("webhook.max_results", 5, "Most matches listed in one reply."),
    Setting("webhook.reply", "text", "'text' (a list of matches) or 'news' (one card: the best match's issue)."),
    Setting("webhook.search_scope", "published", "What followers can find: 'published' issues (WeChat reported them "
            "published, or the team marked them), 'scheduled' (also issues whose publish time has passed), or 'all'."),
    Setting("webhook.welcome", "", "Text sent to new followers; default: how to ask."),
    Setting("webhook.aliases", [], "Other names for one body or law, a group per string, names separated by '/', "
            "e.g. [\"立方/立方律所/Lifang\"]: added to the shipped table (wechat_pub/bot/aliases.py)."),
    Setting("webhook.menu", {}, "Menu CLICK keys -> what they send, e.g. {LATEST = \"最新\", HELP = \"帮助\"}."),
    Setting("webhook.query_log_delay", 2.0, "Seconds the query log may hold entries before writing them (one "
            "write per many queries); 0: write each at once."),
    Setting("webhook.query_log_days", 730, "Days the query log keeps followers' queries (and its summaries); older "
            "ones are deleted in small batches by the process that runs the schedule. At least 1."),
    Setting("webhook.query_salt", "", "Salt for the followers' hashed ids in the query log; empty: one is "
            "generated in paths.state.", secret=True),
    # console: the marketing team's web pages, served by `wechat-pub run` at /console/
    Setting("console.language", "zh_CN", "The console's language for people who have not chosen one: 'zh_CN' "
            "(Chinese) or 'en' (English); each person's own choice (the switch at the top) is kept.", shared=True),
    Setting("console.require_approval", False, "true: a scheduled issue is pushed only once an approver approved "
            "its current text; unapproved at its time, it is not pushed, and the team is told."),
    Setting("console.public_url", "", "Where people reach the service (https://pub.example.com), for links in "
            "notifications; empty: the address `wechat-pub run` serves on.", shared=True),
    Setting("console.secure_cookies", False, "true behind HTTPS: the session cookie is sent over HTTPS only.",
            shared=True),
    Setting("console.session_idle_hours", 12.0, "A console session unused this long ends (sign in again).",
            shared=True),
    Setting("console.session_max_days", 7.0, "A console session ends this long after sign-in, however busy.",
            shared=True),
    Setting("console.proxy_hops", 0, "How many proxies (nginx …) stand in front of `wechat-pub run` and add "
            "X-Forwarded-For: 1 behind one. 0: none, the header is ignored (it could be forged). Behind a proxy without "
            "it, every sign-in comes from the proxy's address and shares one limit.", shared=True),
    Setting("console.sign_in_limit_per_address", 50, "Wrong passwords from one address within 15 minutes before "
            "sign-in from it waits 5 minutes: high enough for an office behind one address (NAT); a name waits after "
            "5 of its own.", shared=True),
    Setting("console.secret_key", "", "Signs the console's session cookies; empty: one is made once and kept in the "
            "state database (the same on every host).", secret=True, shared=True),
    # notify: telling the team when a scheduled push succeeds, fails, is missed or blocked, and when publishing ends
    Setting("notify.wecom_webhook", "", "A WeCom (企业微信) group robot's webhook URL "
            "(https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…); empty: no robot.", secret=True),
    Setting("notify.smtp_host", "", "SMTP server for e-mail notifications; empty: no e-mail."),
    Setting("notify.smtp_port", 587, "SMTP port."),
    Setting("notify.smtp_starttls", True, "Use STARTTLS (port 587); false for a plain local relay."),
    Setting("notify.smtp_user", "", "SMTP login; empty: none."),
    Setting("notify.smtp_password", "", "SMTP password; prefer WECHAT_PUB_NOTIFY__SMTP_PASSWORD.", secret=True),
    Setting("notify.email_from", "", "The From address of notification e-mails."),
    Setting("notify.email_to", [], "Who gets notification e-mails, e.g. [\"team@example.com\"]."),
)
