"""The tables of the state database, one place for all of them (SQLAlchemy Core, so SQLite and PostgreSQL
share one definition). It is what the code reads and writes; the database is brought to it by the migrations
(``state/migrations/versions``): a change here needs a migration (README, "Schema migrations"). Every row
that belongs to a WeChat account carries its ``appid``: several accounts share one database and never see
each other's records."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, LargeBinary, MetaData, String, Table, Text

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

# The query log's summaries (state/querysummary.py), kept with each batch of queries written, so that a year of
# millions of queries is read in the console from a few thousand rows (issue 27).
query_days = Table(  # per account, UTC day (days since the epoch) and query: how often asked, how often unanswered
    "query_days", metadata,
    Column("appid", String(64), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("query", Text, primary_key=True),
    Column("asked", Integer, nullable=False),
    Column("unanswered", Integer, nullable=False),
)

query_askers = Table(  # per account, query and follower (a salted hash): when they last asked it (and unanswered)
    "query_askers", metadata,
    Column("appid", String(64), primary_key=True),
    Column("query", Text, primary_key=True),
    Column("follower", String(64), primary_key=True),
    Column("last_at", Float, nullable=False),
    Column("last_unanswered_at", Float, nullable=False),  # 0: never unanswered
)

query_follower_days = Table(  # per account, query and UTC day: followers whose last time asking it was that day
    "query_follower_days", metadata,
    Column("appid", String(64), primary_key=True),
    Column("query", Text, primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("followers", Integer, nullable=False),
    Column("unanswered", Integer, nullable=False),  # whose last unanswered time was that day
)

query_quarters = Table(  # per account and quarter of an hour since the epoch: queries asked (the chart's days), unanswered
    "query_quarters", metadata,
    Column("appid", String(64), primary_key=True),
    Column("quarter", Integer, primary_key=True),
    Column("asked", Integer, nullable=False),
    Column("unanswered", Integer, nullable=False),
)

issues = Table(  # each account's issues, the same for every host: the article text and what it says
    "issues", metadata,
    Column("appid", String(64), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("filename", String(255), nullable=False),
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
    Column("shown", Text, nullable=True),  # the pictures its text shows (JSON: paths, of which text); see 0011
    Column("text_by", String(200), nullable=True),  # who last changed the text (a picture from a folder: kept)
    Column("text", Text, nullable=False),  # last: on SQLite, the columns after a long text are read through it
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

console_sessions = Table(  # signed-in console sessions, server-side: ending a row ends that session for good
    "console_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie's random token (never the token)
    Column("user", String(64), nullable=False, index=True),
    Column("created_at", Float, nullable=False),  # sign-in: the absolute limit runs from here
    Column("seen_at", Float, nullable=False),  # the last request (to within a minute): the idle limit runs from here
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

sends = Table(  # mass sends (群发) of an account's issues: recorded before sendall is called (state/sends.py)
    "sends", metadata,
    Column("appid", String(64), primary_key=True),
    Column("issue", Integer, primary_key=True),
    Column("clientmsgid", String(64), primary_key=True),  # from (account, issue, draft version): one send per version
    Column("content_hash", String(64), nullable=False, default=""),  # the draft version sent
    Column("tag_id", String(32), nullable=False, default=""),  # '' : everyone
    Column("state", String(20), nullable=False),  # requested, accepted, sent, failed, deleted
    Column("msg_id", String(40), nullable=False, default=""),
    Column("msg_data_id", String(40), nullable=False, default=""),
    Column("status", Text, nullable=False, default=""),  # MASSSENDJOBFINISH's Status (or message/mass/get's)
    Column("total", Integer, nullable=False, default=0),
    Column("filtered", Integer, nullable=False, default=0),
    Column("sent_count", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("check_state", Integer, nullable=False, default=0),  # originality check: 1, 2 fine; 3 not sent
    Column("article_urls", Text, nullable=False, default="[]"),
    Column("error", Text, nullable=False, default=""),
    Column("hint", Text, nullable=False, default=""),
    Column("by", String(64), nullable=False, default=""),
    Column("requested_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

send_events = Table(  # a send's MASSSENDJOBFINISH that came before any send carried its msg_id (state/sends.py)
    "send_events", metadata,
    Column("appid", String(64), primary_key=True),
    Column("msg_id", String(40), primary_key=True),
    Column("result", Text, nullable=False),  # the SendResult, as JSON
    Column("received_at", Float, nullable=False),
)

pushed_texts = Table(  # an issue's text as it went into its draft ('draft') and as it went out ('live': published or
    "pushed_texts", metadata,  # sent): followers find what went out, not an edit made since (state/pushes.py)
    Column("appid", String(64), primary_key=True),
    Column("issue", Integer, primary_key=True),
    Column("role", String(8), primary_key=True),  # pending, draft, live, online (see state/pushes.py)
    Column("text_hash", String(64), nullable=False),
    Column("text", Text, nullable=False),
)

previews = Table(  # phone previews (message/mass/preview): WeChat allows 100 a day per account
    "phone_previews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("appid", String(64), nullable=False, index=True),
    Column("issue", Integer, nullable=False),
    Column("wechat_id_hash", String(64), nullable=False),  # whose phone, hashed: not kept in the clear
    Column("by", String(64), nullable=False, default=""),
    Column("at", Float, nullable=False),
    Column("day", String(10), nullable=False),  # Beijing date: WeChat's quotas reset at its midnight
)

profiles = Table(  # what a console user keeps about themselves: the WeChat ID their phone previews go to
    "console_profiles", metadata,
    Column("user", String(64), primary_key=True),
    Column("wechat_id", String(64), nullable=False, default=""),
    Column("updated_at", Float, nullable=False),
    Column("language", String(16), nullable=False, default="", server_default=""),  # "": console.language
)

article_stats = Table(  # analytics (datacube): an article's totals from publication to stat_date (state/analytics.py)
    "article_stats", metadata,
    Column("appid", String(64), primary_key=True),
    Column("msgid", String(64), primary_key=True),  # <msg_data_id>_<index>: the article of a send or publish
    Column("stat_date", String(10), primary_key=True),  # the Beijing date the totals run to
    Column("ref_date", String(10), nullable=False),  # the Beijing date of publication
    Column("issue", Integer, nullable=False, default=0),  # 0: not an issue wechat-pub sent or published
    Column("part", Integer, nullable=False, default=1),  # the article's place in its send (a split issue's part)
    Column("publish_type", Integer, nullable=False, default=0),  # 0 sent to followers, 1 published only
    Column("read_user", Integer, nullable=False, default=0),
    Column("read_chat", Integer, nullable=False, default=0),
    Column("read_home", Integer, nullable=False, default=0),
    Column("read_share", Integer, nullable=False, default=0),
    Column("read_search", Integer, nullable=False, default=0),
    Column("read_other", Integer, nullable=False, default=0),
    Column("share_user", Integer, nullable=False, default=0),
    Column("like_user", Integer, nullable=False, default=0),
    Column("zaikan_user", Integer, nullable=False, default=0),
    Column("comment_count", Integer, nullable=False, default=0),
    Column("collection_user", Integer, nullable=False, default=0),
    Column("extra", Text, nullable=False, default="{}"),  # fields WeChat added that wechat-pub does not know
    Column("is_delay", Integer, nullable=False, default=0),  # 1: WeChat said these were not final yet
    Column("fetched_at", Float, nullable=False),
)

analytics_fetches = Table(  # each (publication day, day asked for) fetched once: final, or again while delayed
    "analytics_fetches", metadata,
    Column("appid", String(64), primary_key=True),
    Column("ref_date", String(10), primary_key=True),
    Column("as_of", String(10), primary_key=True),  # the day the figures run to (yesterday when fetched)
    Column("state", String(10), nullable=False),  # final, delayed
    Column("attempts", Integer, nullable=False, default=0),
    Column("updated_at", Float, nullable=False),
)

analytics_accounts = Table(  # per account: the day's datacube calls (never over the quota), the standing note
    "analytics_accounts", metadata,
    Column("appid", String(64), primary_key=True),
    Column("quota_day", String(10), nullable=False, default=""),  # the Beijing day the calls are counted for
    Column("calls", Integer, nullable=False, default=0),
    Column("note", Text, nullable=False, default=""),  # e.g. "analytics need a verified account" (one, not daily)
    Column("note_at", Float, nullable=False, default=0),
    Column("updated_at", Float, nullable=False),
)

weekly_notes = Table(  # the weekly note to the team: one row per account and week, claimed before it is sent
    "weekly_notes", metadata,
    Column("appid", String(64), primary_key=True),
    Column("week", String(10), primary_key=True),  # the Monday it is for (the publisher's zone)
    Column("state", String(10), nullable=False),  # sending, sent, failed
    Column("detail", Text, nullable=False, default=""),
    Column("at", Float, nullable=False),
)

# Indexes written out here rather than on their column: one is partial, the others span several columns.
Index("ix_queries_entry_id", queries.c.entry_id, unique=True,  # a spooled query moves in once
      sqlite_where=queries.c.entry_id != "", postgresql_where=queries.c.entry_id != "")
Index("ix_issues_revision", issues.c.appid, issues.c.version, issues.c.updated_at)
Index("ix_article_stats_issue", article_stats.c.appid, article_stats.c.issue, article_stats.c.stat_date)
Index("ix_article_stats_date", article_stats.c.appid, article_stats.c.stat_date)
Index("ix_queries_appid_at", queries.c.appid, queries.c.at)  # a period's queries (CSV, the Reach page's week), the prune
Index("ix_query_days_query", query_days.c.appid, query_days.c.query, query_days.c.day, query_days.c.asked,
      query_days.c.unanswered)  # top queries: read per query in order, without the table
Index("ix_query_askers_prune", query_askers.c.appid, query_askers.c.last_at)  # the retention's prune
Index("ix_history_issue", history.c.appid, history.c.issue, history.c.id)  # an issue's pushes (its page)
Index("ix_audit_issue", audit.c.appid, audit.c.issue, audit.c.id)  # what the console did to an issue (its page)
