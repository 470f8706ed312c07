"""The state database's tables as the last release before migrations made them: a verbatim copy of
``wechat_pub/state/schema.py`` at commit 9f22ece (``git show 9f22ece:wechat_pub/state/schema.py``), kept so the
migration tests build that release's database without git. Never edit: it is a record."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

tokens = Table(  # the access token (wechatpy's session shape: key -> JSON value, with an expiry)
    "tokens", metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", Float, nullable=True),
)

locks = Table(  # leases shared by processes and hosts: the token refresh, the scheduler's leadership
    "locks", metadata,
    Column("name", String(200), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
)

uploads = Table(  # images WeChat already has, by content hash: never uploaded twice
    "uploads", metadata,
    Column("appid", String(64), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),  # "uploadimg" (body image), "material" (cover), "generated" (a
    # generated cover, by the hash of what it is drawn from)
    Column("url", Text, nullable=False, default=""),
    Column("media_id", String(200), nullable=False, default=""),
    Column("width", Integer, nullable=True),
    Column("created_at", Float, nullable=False),
)

pushes = Table(  # one row per issue of an account: where its draft stands (state/pushes.py moves it)
    "pushes", metadata,
    Column("appid", String(64), primary_key=True),
    Column("issue", Integer, primary_key=True),
    Column("path", Text, nullable=False, default=""),
    Column("state", String(20), nullable=False),  # new, draft, publishing, published, failed
    Column("content_hash", String(64), nullable=False, default=""),
    Column("marker", String(120), nullable=False, default=""),  # set while a draft/add is in flight
    Column("pending_hash", String(64), nullable=False, default=""),  # the content that draft/add carries
    Column("draft_media_id", String(200), nullable=False, default=""),
    Column("article_count", Integer, nullable=False, default=0),
    Column("publish_id", String(64), nullable=False, default=""),
    Column("article_urls", Text, nullable=False, default="[]"),
    Column("cover_url", Text, nullable=False, default=""),
    Column("wechat_hash", String(64), nullable=False, default=""),  # the draft as WeChat held it after our push
    Column("error", Text, nullable=False, default=""),
    Column("hint", Text, nullable=False, default=""),
    Column("updated_at", Float, nullable=False),
    Column("receipt", Text, nullable=False, default=""),  # what the draft was made from (publish/unchanged.py)
)

history = Table(  # every push transition, as it happened
    "history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("appid", String(64), nullable=False),
    Column("issue", Integer, nullable=False),
    Column("at", Float, nullable=False),
    Column("event", String(40), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

schedule_runs = Table(  # one row per (issue, scheduled time): the guard that no slot ever runs twice
    "schedule_runs", metadata,
    Column("appid", String(64), primary_key=True),
    Column("issue", Integer, primary_key=True),
    Column("publish_at", String(40), primary_key=True),
    Column("state", String(20), nullable=False),  # running, retrying, done, missed, failed, canceled
    Column("owner", String(64), nullable=False, default=""),  # the scheduler (leader) that runs it
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", Text, nullable=False, default=""),
    Column("started_at", Float, nullable=False, default=0),  # the first attempt (retries are timed from it)
    Column("updated_at", Float, nullable=False),
)

replies = Table(  # webhook answers by delivery key, so WeChat's retries get the same answer
    "webhook_replies", metadata,
    Column("key", String(300), primary_key=True),
    Column("reply", Text, nullable=True),  # NULL while the first delivery is still working on it
    Column("created_at", Float, nullable=False, index=True),
    Column("claimed_at", Float, nullable=False, default=0),  # the claim's lease runs from here
)

queries = Table(  # what followers asked; the follower only as a salted hash
    "queries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_id", String(40), nullable=False, default=""),  # unique once written: a spool moves in once
    Column("appid", String(64), nullable=False, default=""),
    Column("at", Float, nullable=False),
    Column("query", Text, nullable=False),
    Column("matches", Integer, nullable=False),
    Column("follower", String(64), nullable=False),
)

issues = Table(  # each account's issues, the same for every host: the article text and what it says
    "issues", metadata,
    Column("appid", String(64), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("filename", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("valid", Integer, nullable=False, default=1),
    Column("problems", Text, nullable=False, default="[]"),
    Column("publish_at", String(40), nullable=True),
    Column("title", Text, nullable=False, default=""),
    Column("date", String(10), nullable=False, default=""),
    Column("version", Integer, nullable=False, default=1),
    Column("updated_at", Float, nullable=False),
    Column("updated_by", String(200), nullable=False, default=""),
    Column("removed", Integer, nullable=False, default=0),
)

issue_files = Table(  # the images an issue's text refers to, so every host can show and push it
    "issue_files", metadata,
    Column("appid", String(64), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("relpath", String(500), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

shared_values = Table(  # small values every host must share (the query salt)
    "shared_values", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(  # people who may use the console; passwords only as argon2 hashes
    "users", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # editor, approver, admin
    Column("password_hash", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

login_failures = Table(  # wrong passwords by user name and by address: after 5, attempts wait
    "login_failures", metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", Float, nullable=False),
    Column("blocked_until", Float, nullable=False, default=0),
)

audit = Table(  # who did what, when, in the console (and user management from the command line)
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("user", String(64), nullable=False),
    Column("appid", String(64), nullable=False, default=""),
    Column("action", String(40), nullable=False),
    Column("issue", Integer, nullable=False, default=0),
    Column("detail", Text, nullable=False, default=""),
)

approvals = Table(  # an approver's yes to one version of an issue (a later edit needs a new one)
    "approvals", metadata,
    Column("appid", String(64), primary_key=True),
    Column("issue", Integer, primary_key=True),
    Column("text_hash", String(64), nullable=False),
    Column("by", String(64), nullable=False),
    Column("at", Float, nullable=False),
)

# Indexes that later versions added to tables an older database already has (create_all does not add them).
LATER_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS ix_queries_entry_id ON queries (entry_id) WHERE entry_id != ''",
    # the revision of an account's issues (state/direct.py) from the index alone, not from rows of 50 KB texts
    "CREATE INDEX IF NOT EXISTS ix_issues_revision ON issues (appid, version, updated_at)",
)
