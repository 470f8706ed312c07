"""The console's lists read what they show, at a year's scale (issue 27): the issues list reads its page of
issues (and their push records, runs and approvals), the calendar the issues its weeks and its schedule dialog
show, not the archive's two thousand; each row says what the whole overview says of it. PostgreSQL compiles no
statement to machine code first (JIT: 40 ms of the Reach page's 35 ms statement). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from security_service import ARTICLE

from conftest import FakeClock, firm_config, open_site, use_database
from wechat_pub.publish.status import calendar_overview, overview, overview_page
from wechat_pub.state.schema import pushes

DAY = 86400
STATES = ("published", "sent", "draft", "failed", "publishing", "sending", "new")


def article(number: int, publish_at: str = "", extra: str = "") -> str:
    text = ARTICLE.format(number=number, images="")
    head = (f"publish_at: {publish_at}\n" if publish_at else "") + extra
    return text.replace(f"issue: {number}\n", f"issue: {number}\n{head}", 1)


def a_year(tmp_path, database_url, clock: FakeClock):
    """An account's issues in every state the console tells apart: scheduled (with what its schedule does),
    due and missed, awaiting approval, with errors, pushed in each state at times months apart, removed."""
    firm_config(tmp_path, "\n[console]\nrequire_approval = true\n")
    use_database(tmp_path, database_url)
    articles = tmp_path / "articles"
    articles.mkdir()
    special = {28: article(28, "2027-01-20 09:00", "deliver: send\nsend_to_tag: '7'\n"),
               27: article(27, "2027-01-22 10:00", "deliver: publish\n"), 26: article(26, "2027-01-10 09:00"),
               25: article(25, "2027-02-03 08:30"), 5: article(5, "2027-01-18 09:00"),
               24: article(24, "2027-01-25 09:00")}
    for number in range(1, 31):
        (articles / f"issue-{number}.md").write_text(special.get(number, article(number)), encoding="utf-8")
    site = open_site(tmp_path, clock=clock)
    site.library.sync()
    (articles / "issue-30.md").unlink()  # issue 30: removed (its push record stays)
    with open(articles / "issue-24.md", "a", encoding="utf-8") as broken:  # scheduled, then it broke: blocked
        broken.write("\n###### not a heading articles use\n")
    site.library.sync()
    with site.services.db.begin() as conn:
        conn.execute(pushes.insert(), [
            {"appid": site.appid, "issue": number, "path": f"articles/issue-{number}.md",
             "state": STATES[number % len(STATES)], "error": "quota" if number % 5 == 0 else "", "hint": "wait",
             "updated_at": clock.now - number * 9 * DAY, "article_urls": "[]"}
            for number in list(range(1, 22)) + [30]])
    site.approvals.approve(28, site.library.row(28).text_hash, "approver1")
    site.approvals.approve(27, "an older version", "approver1")
    site.runs.finish(26, site.library.row(26).publish_at, "missed", "the service was down")
    return site


def seen(row) -> tuple:
    """Everything a list shows of a row (and what it works out when asked)."""
    return (row.number, row.filename, row.title, row.status, row.publish_at, row.advice, row.valid, row.version,
            row.approved_by, row.when, row.last_push, row.plan, row.action, row.tag)


def test_a_page_of_the_issues_list_is_the_overview_s_page(tmp_path, database_url):
    clock = FakeClock()
    site = a_year(tmp_path, database_url, clock)
    full = overview(site)
    records = {record.issue: record for record in site.pushes.all()}
    assert len(full) == 29 and {row.status for row in full} >= {"scheduled", "awaiting approval", "missed",
                                                               "blocked", "published", "sent", "draft", "failed"}
    for per_page in (1, 4, 7, 29, 100):
        pages = -(-len(full) // per_page)
        for asked in (-1, 0, 1, 2, pages, pages + 1):
            rows, page_records, page, total = overview_page(site, asked, per_page)
            assert (page, total) == (min(max(asked, 1), pages), len(full))
            assert [seen(row) for row in rows] == [seen(row) for row in full[(page - 1) * per_page:page * per_page]]
            assert all(page_records.get(row.number) == records.get(row.number) for row in rows)
            assert len(page_records) <= per_page + 1  # its own (and a removed issue's between them), not all


def test_the_calendar_reads_the_issues_its_weeks_and_dialog_show(tmp_path, database_url):
    clock = FakeClock()
    site = a_year(tmp_path, database_url, clock)
    full = overview(site)
    records = {record.issue: record for record in site.pushes.all()}
    out = ("publishing", "published", "sending", "sent")

    def shown(row, since, until) -> bool:
        record = records.get(row.number)
        return bool(row.publish_at or record is None or record.state.value not in out
                    or (record.state.value in ("published", "sent") and since <= record.updated_at <= until))

    zone = dt.timezone(dt.timedelta(hours=8))
    for first, last in ((dt.date(2026, 12, 28), dt.date(2027, 2, 7)), (dt.date(2026, 9, 28), dt.date(2026, 11, 1)),
                        (dt.date(2015, 2, 23), dt.date(2015, 4, 5))):
        since = dt.datetime.combine(first, dt.time(), zone).timestamp()
        until = dt.datetime.combine(last, dt.time(), zone).timestamp()
        rows, calendar_records = calendar_overview(site, since, until)
        expected = [row for row in full if shown(row, since, until)]
        assert [seen(row) for row in rows] == [seen(row) for row in expected]
        assert len(rows) < len(full)  # the issues out long ago are not read
        assert all(calendar_records.get(row.number) == records.get(row.number) for row in rows)
        # the schedule dialog offers every issue not gone out, as the whole overview says them
        assert [seen(row) for row in rows if row.status not in out] == [seen(row) for row in full
                                                                        if row.status not in out]


def test_postgresql_compiles_no_statement_first(database_url):
    from wechat_pub.state.database import StateDatabase

    if database_url.startswith("sqlite"):
        return
    for bounded in (False, True):
        db = StateDatabase(database_url, bounded=bounded)
        with db.connect() as conn:
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        db.dispose()


def texts_read(site) -> list[int]:
    """The issues whose texts ``site`` reads from here on (its store's rows read with their texts)."""
    store, numbers = site.library.store, []
    every, one = store.all, store.get

    def all_(*args, **kwargs):
        rows = every(*args, **kwargs)
        numbers.extend(row.number for row in rows if row.text is not None)
        return rows

    def get(number):
        row = one(number)
        numbers.extend([row.number] if row is not None and row.text is not None else [])
        return row

    store.all, store.get = all_, get
    return numbers


def test_the_lists_read_the_texts_of_what_they_show_only(tmp_path, database_url):
    """A worker that has read no issue yet (just started): a page of the issues list reads its own issues' texts
    (what their schedules do), not the archive's; the calendar reads a text when a chip asks what its issue's
    schedule does."""
    clock = FakeClock()
    a_year(tmp_path, database_url, clock)
    for number in range(31, 151):  # pages of more than fifty
        (tmp_path / "articles" / f"issue-{number}.md").write_text(article(number), encoding="utf-8")
    open_site(tmp_path, clock=clock).library.sync()
    for per_page in (7, 60):
        site = open_site(tmp_path, clock=clock)  # a new worker: nothing read
        read = texts_read(site)
        rows, _records, _page, _total = overview_page(site, 2, per_page)
        assert sorted(read) == sorted(row.number for row in rows)
    site = open_site(tmp_path, clock=clock)
    read = texts_read(site)
    rows, _records = calendar_overview(site, clock.now - 40 * DAY, clock.now + 40 * DAY)
    assert read == []
    assert next(row for row in rows if row.number == 28).plan.startswith("send to followers with tag 7")
    assert read == [28]


def test_an_issue_scheduled_again_after_a_failed_push_is_scheduled(tmp_path, database_url):
    """A newcomer's finding (2026-12-06): after the image was put back and the issue given a new time, its page
    still said failed, with the old error; the failure is now what the last push did, the state is scheduled."""
    from wechat_pub.publish.status import overview_of

    clock = FakeClock()  # 2027-01-15 08:00 UTC
    firm_config(tmp_path)
    use_database(tmp_path, database_url)
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "issue-7.md").write_text(article(7, "2027-01-20 09:00"), encoding="utf-8")
    site = open_site(tmp_path, clock=clock)
    site.library.sync()
    site.pushes.failed(7, "articles/issue-7.md", "Image file 'images/gone.png' does not exist.")
    summary = overview_of(site, site.library.row(7))
    assert summary.status == "scheduled" and summary.advice == (
        "The last push failed: Image file 'images/gone.png' does not exist.")


def test_a_draft_older_than_the_text_says_so(tmp_path, database_url):
    """A newcomer's finding (2026-12-06): after edits, the issue page still said the draft was ready to publish."""
    from wechat_pub.publish.status import STALE_DRAFT, overview_of

    clock = FakeClock()
    firm_config(tmp_path)
    use_database(tmp_path, database_url)
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "issue-8.md").write_text(article(8), encoding="utf-8")
    site = open_site(tmp_path, clock=clock)
    site.library.sync()
    site.pushes.draft_added(8, "articles/issue-8.md", "media-8", "hash", 1)
    assert overview_of(site, site.library.row(8)).advice.startswith("In the draft box: publish it")
    clock.advance(60)
    row = site.library.row(8)
    site.library.save(row.filename, row.text.replace("中文", "改过的中文", 1), row.version, "editor1")
    assert overview_of(site, site.library.row(8)).advice == STALE_DRAFT
