"""Review 30: the fixes of review 29 attacked (a lost submit given up after an hour, PUBLISHJOBFINISH matched by the
article's marker, IssueBusy retried by the schedule, 'published-already' told as published, unsent() reading the
last publish from the history). Each test fails on the code as committed (8d65fa9) and passes once the hole it
names is closed."""

from __future__ import annotations

import json
import time

import test_review26_holes
from test_review26_holes import mass, publish_jobs
from test_review28_holes import robot_and_schedule, team_messages_of_135

from conftest import FakeClock, open_site, until

issue_dir = test_review26_holes.issue_dir  # (the seed issue's folder, on each state database)

ID_OFFSET = 2247483000  # the sandbox's publish ids (publishes.py)


def lost_submit_of_135(sandbox, run_cli) -> None:
    """`push --publish` whose freepublish/submit answer is lost: 'publishing', no publish_id (review 26's mark)."""
    sandbox.fault("freepublish/submit", "drop_after")
    run_cli("push", "articles/issue-135.md", "--publish", expect=4)


def given_up_an_hour_on(sandbox, run_cli) -> tuple[dict, str]:
    """Issue 135's submit answer lost while WeChat's job stays 发布中 (its review holds it); the rerun an hour on
    gives up (review 29: publish_failed, PushError, "look in 发表记录 first: if it is still being published there,
    wait for it"). (WeChat's job, what the rerun said.)"""
    sandbox.settings.publish_delay = 900  # the sandbox's own thread does not end it during the test
    lost_submit_of_135(sandbox, run_cli)
    try:
        said = run_cli("push", "articles/issue-135.md", "--publish", clock=FakeClock(time.time() + 3700)).stdout
    except AssertionError as refused:
        said = str(refused)
    [job] = publish_jobs(sandbox)
    return job, said


def wechat_finishes(sandbox, job: dict) -> tuple[int, str, list[str]]:
    """WeChat's job, under way all along, ends: the article is online. (publish_id, article_id, its addresses)."""
    publish_id = job["publish_id"] + ID_OFFSET
    article_id = f"late{publish_id}"
    urls = [f"{sandbox.url}/sandbox/articles/{article_id}/1"]
    sandbox.state.finish_publish(publish_id, article_id, urls)
    return publish_id, article_id, urls


# ---- High: a publish given up after an hour that WeChat then finishes is never recorded ---------------------------

def test_the_late_event_of_a_publish_given_up_after_an_hour_records_it(issue_dir, sandbox, run_cli):
    """Review 29 turns a lost submit with no article an hour on into 'failed' ("look in 发表记录 first: if it is
    still being published there, wait for it"). The team waits, as told; WeChat's review ends and the article goes
    online, and WeChat posts PUBLISHJOBFINISH (with the article's id) once. No record carries its publish_id and
    lost_submits() lists only 'publishing' records — issue 135 is 'failed' now — so lost_publish_of() never asks
    for the article and the event is dropped ("which wechat-pub did not submit"). The issue stays 'failed' with
    no link: followers asking for it get nothing, the console and `status` say its publish failed, the team is
    never told it is online, and the console's "publish again" puts a second copy online."""
    from wechat_pub.bot.protocol import parse_xml
    from wechat_pub.sandbox.events import publish_event_xml, success_info

    job, said = given_up_an_hour_on(sandbox, run_cli)
    site = open_site(issue_dir)
    assert site.pushes.get(135).state.value == "failed", said  # (review 29's give-up, as it is meant)
    publish_id, article_id, urls = wechat_finishes(sandbox, job)
    event = publish_event_xml("gh_sandbox0001", publish_id, success_info(article_id, urls), int(time.time()))
    assert site.bot().answer_once(parse_xml(event.encode())) == "success"  # WeChat's one delivery
    try:  # (matched off the request)
        until(lambda: site.pushes.get(135).article_urls, timeout=10)
    except AssertionError:
        pass
    record = site.pushes.get(135)
    assert record.state.value == "published" and record.article_urls == urls, (
        f"WeChat published issue 135 at {urls} after the rerun gave up ({said.strip()[:160]!r}); wechat-pub still "
        f"says {record.state} ({record.error!r}) with links {record.article_urls}; history "
        f"{[(e.event, e.detail[:40]) for e in site.pushes.history(135)][-3:]}")


def test_publishing_again_after_a_given_up_publish_went_online_does_not_publish_it_twice(issue_dir, sandbox,
                                                                                          run_cli):
    """The same give-up, and WeChat's job then ends with the article online (its PUBLISHJOBFINISH missed: the webhook
    was down, or dropped as above). The issue is 'failed', and the console and the hint say "if it failed, publish
    again". Review 26's protection — look for the article by its marker before pushing — runs only for a
    'publishing' record: from 'failed' the push finds the draft gone (WeChat took it), makes a new one and submits
    it. The issue is online twice (two articles on the account's page, two in 已发表), and the first one's links
    are never recorded. freepublish/batchget lists the first article, with 135's marker, the whole time."""
    job, said = given_up_an_hour_on(sandbox, run_cli)
    publish_id, article_id, urls = wechat_finishes(sandbox, job)
    sandbox.settings.publish_delay = 0.3
    try:
        again = run_cli("push", "articles/issue-135.md", "--publish", clock=FakeClock(time.time() + 7200)).stdout
    except AssertionError as refused:  # (refusing, with what to look at, is one way to close the hole)
        again = str(refused)
    jobs = publish_jobs(sandbox)
    record = open_site(issue_dir).pushes.get(135)
    assert len(jobs) == 1, (
        f"issue 135 went online at {urls} after the push gave up; publishing it again ({again.strip()[:200]!r}) made "
        f"{len(jobs)} publish jobs (drafts {[j['draft_media_id'] for j in jobs]}); the issue is {record.state} with "
        f"links {record.article_urls}")


# ---- High: a scheduled publish whose answer was lost is announced as published while WeChat still reviews it ----

def test_a_scheduled_publish_still_under_way_after_a_lost_answer_is_not_announced_published(issue_dir, sandbox):
    """Review 29 makes done_event() call any outcome starting "published-already" a 'published' notice ("found
    published: its answer had been lost"). But save_draft says "published-already" for every record gone out of
    the draft box, also a lost submit whose article recover_lost_submit did *not* find (WeChat's job still 发布中,
    held by its review): the scheduler's retry ends 'done' and the WeCom group reads "第 135 期已发表 … 粉丝现在能
    找到这一期" with no link. Nothing is online yet, and it may never be: when WeChat's review then rejects it, the
    failure PUBLISHJOBFINISH is matched by publish_id only (none here) and dropped, and nothing else looks — the team
    was told it is published, so nobody pushes it again and nobody learns it failed."""
    from test_scheduler import Running, passed

    from wechat_pub.notify import HEADLINES, Notice

    server, path = robot_and_schedule(issue_dir, "publish")
    sandbox.settings.publish_delay = 900  # WeChat's review holds the job through the test
    sandbox.fault("freepublish/submit", "drop_after")  # WeChat takes it; its answer is lost
    passed(path, 5)
    service = Running(issue_dir)
    service.service.retry_base_seconds = 0.5
    try:
        outcome = service.wait_for("done", timeout=90)
        [message] = until(lambda: team_messages_of_135(),
                          timeout=20)
    finally:
        service.stop()
        server.shutdown()
    record = open_site(issue_dir).pushes.get(135)
    published = Notice("", 135, "published", "", "", "zh_CN")._(HEADLINES["published"][1]) % {"number": 135}
    assert record.state.value == "published" or published not in message, (
        f"WeChat is still reviewing issue 135 (job status {publish_jobs(sandbox)[0]['status']}; the issue is "
        f"{record.state}, links {record.article_urls}); the scheduler ended {outcome!r} and the team was told: "
        f"{message!r}")


# ---- Medium: a failed correction makes unsent() forget the article still online --------------------------------

def test_unsending_after_a_failed_correction_keeps_the_published_article(issue_dir, sandbox, run_cli):
    """still_published() (review 29) gives the addresses of the last 'published' history entry "unless a failure,
    deletion or block came after it" — any 'publish-failed'. But a *correction's* failed publish (WeChat's review
    rejects the fixed version; or review 29's give-up of a correction's lost submit) takes nothing offline:
    publish_failed keeps the first article's links for that very reason (gone=False). Then the issue is sent to
    the followers (from the kept draft) and the send deleted (`unsend`, or WeChat reporting DELETE): unsent() reads
    the history, sees 'publish-failed' after 'published', and sets the issue 'draft' with no link. The first
    article is still online; followers asking for the issue get nothing, and the console calls it an unpublished
    draft ("publish it"), which would put a second copy online."""
    from wechat_pub.bot.protocol import parse_xml
    from wechat_pub.sandbox.massevents import mass_event_xml

    run_cli("push", "articles/issue-135.md", "--publish")
    site = open_site(issue_dir)
    live = until(lambda: site.pushes.published_urls().get(135))
    path = issue_dir / "articles" / "issue-135.md"
    path.write_text(path.read_text(encoding="utf-8").replace("立方", "立方 ", 1), encoding="utf-8")  # a fix
    sandbox.admin("publish-outcomes", "POST", {"appid": "wx_sandbox", "status": 4, "fail_idx": [1]})  # review: no
    run_cli("push", "articles/issue-135.md", "--publish", expect=1)  # the correction's publish fails
    failed = site.pushes.get(135)
    assert failed.state.value == "failed" and failed.article_urls == live  # (the first article kept: as meant)
    sandbox.settings.mass_delay = 0.05
    run_cli("send", "articles/issue-135.md", "--yes")
    [sent] = until(lambda: [e for e in mass(sandbox) if e["status"] == "SEND_SUCCESS"])
    event = mass_event_xml("gh_sandbox0001", int(sent["msg_id"]), "success", 1200, sent["urls"], int(time.time()))
    assert site.bot().answer_once(parse_xml(event.encode())) == "success"
    run_cli("unsend", "articles/issue-135.md", "--yes")
    record = site.pushes.get(135)
    assert set(site.pushes.published_urls().get(135) or []) & set(live), (
        f"the send of issue 135 was deleted; its first article {live} is still online (only the correction's "
        f"publish failed), yet the issue is {record.state} with links {record.article_urls}")


# ---- Medium: a scheduled send that finds the issue already sent tells the team to publish a draft ---------------

def test_a_scheduled_send_that_finds_the_issue_sent_does_not_ask_the_team_to_publish_it(issue_dir, sandbox, run_cli):
    """A colleague sends issue 135 ("Send to followers now", or `send`) around its scheduled send: the schedule's
    push waits for the issue's send lock — or, since review 29, is told IssueBusy and retried — and then finds the
    send made ('accepted'): deliver() ends "already sent before (msg_id …); nothing sent again". done_event() knows
    "sent to" and "published-already" only, so that is a 'pushed' notice: the WeCom group reads "第 135 期已推送到
    草稿箱 … 请在后台或 mp.weixin.qq.com 发表" about an issue every follower has in their chats. A colleague who
    does as told looks for a draft that is not there, or publishes it (a second article on the account's page)."""
    from test_scheduler import Running, passed

    from wechat_pub.notify import HEADLINES, Notice

    server, path = robot_and_schedule(issue_dir, "send")
    passed(path, 5)
    run_cli("send", "articles/issue-135.md", "--yes")  # the colleague's, moments before the schedule's turn
    service = Running(issue_dir)
    try:
        outcome = service.wait_for("done", timeout=60)
        [message] = until(lambda: team_messages_of_135(),
                          timeout=20)
    finally:
        service.stop()
        server.shutdown()
    publish_it = Notice("", 135, "pushed", "", "", "zh_CN")._(HEADLINES["pushed"][2])
    assert len(mass(sandbox)) == 1 and publish_it not in message, (
        f"issue 135 was sent to the followers ({len(mass(sandbox))} send); the scheduler ended {outcome!r} and the "
        f"team was told: {message!r}")


# ---- Low: the event of a lost publish met by a moment of database trouble is never matched ----------------------

def test_a_lost_publishs_event_retried_after_a_database_blip_is_still_matched(issue_dir, sandbox, run_cli):
    """The webhook's first try of a PUBLISHJOBFINISH uses the bounded engine (answers within seconds); when the
    database is slow or away that moment (a locked SQLite file, a PostgreSQL failover), on_published hands the event
    to keep_trying(), which retries record() — by publish_id only. For a publish whose submit's answer was lost no
    record carries that id: record() returns False, keep_trying() takes that for done and stops, silently (not even
    "which wechat-pub did not submit"). adopt() — the marker match review 29 added — never runs, so WeChat's one
    event for the issue is lost: it stays 'publishing' with no link (followers do not find it, the team gets no
    "published" notice) until someone happens to push it again."""
    from wechat_pub.publish.events import PublishEvents
    from wechat_pub.state.database import StateDatabase
    from wechat_pub.state.pushes import PushLedger

    lost_submit_of_135(sandbox, run_cli)
    [job] = until(lambda: [j for j in publish_jobs(sandbox) if j["status"] == 0], timeout=30)  # WeChat published it
    urls = json.loads(job["urls"])
    site = open_site(issue_dir)
    away = StateDatabase("postgresql://wechat_pub:away@127.0.0.1:9/away", bounded=True)  # (nothing listens there)
    told = []
    events = PublishEvents(PushLedger(away, site.appid), site.pushes, lambda issue, links: told.append(issue),
                           FakeClock(), site.lost_publish_of)  # (site.record_published's parts, the first try away)
    events.on_published(str(job["publish_id"] + ID_OFFSET), urls, job["article_id"])
    try:
        until(lambda: site.pushes.get(135).article_urls and told, timeout=10)  # (recorded, then told)
    except AssertionError:
        pass
    record = site.pushes.get(135)
    assert record.article_urls == urls and told == [135], (
        f"WeChat published issue 135 at {urls} and said so once, while the webhook's first look at the database "
        f"failed; the issue is {record.state} with links {record.article_urls}, the team told of {told}")
