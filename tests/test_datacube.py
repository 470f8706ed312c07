"""The datacube API group against the sandbox over HTTP (issue 26): the four endpoints, typed results, dates and
is_delay on the sandbox's injected clock, 48001 for an unverified account said as "analytics need a verified
account", and unknown fields kept."""

from __future__ import annotations

import datetime as dt

import pytest
from test_analytics import START, on_clock

from conftest import FakeClock, api_client
from wechat_pub.sandbox.datacube import reads_by
from wechat_pub.wechat.datacube import parse_article
from wechat_pub.wechat.errors import WeChatAPIError

FRIDAY = dt.date(2027, 1, 15)  # START is 2027-01-15 16:00 Beijing


def publish_one(sandbox, clock) -> int:
    """A publish job of the sandbox's account that succeeded at the clock's time (its msg_data_id)."""
    state = sandbox.state
    media_id = state.add_draft("wx_sandbox", [{"title": "第135期", "content": "<p>x</p>"}])
    publish_id = state.start_publish(state.draft(media_id))
    state.finish_publish(publish_id, "article-1", ["http://example.org/1"])
    return publish_id


@pytest.fixture
def api(sandbox, tmp_path):
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    return api_client(sandbox, tmp_path, clock=clock.time, sleep=clock.sleep), clock


def test_totals_rise_by_day_and_split_by_source(sandbox, api):
    client, clock = api
    publish_id = publish_one(sandbox, clock)
    clock.advance(3 * 86400)  # Monday 16:00: Friday to Sunday are final
    answer = client.datacube.getarticletotaldetail(FRIDAY, FRIDAY)
    assert not answer.is_delay
    [article] = answer.rows
    assert article.msgid == f"{publish_id}_1" and article.publish_type == 1 and article.index == 1
    assert [day.stat_date for day in article.days] == ["2027-01-15", "2027-01-16", "2027-01-17"]
    reads = [day.read_user for day in article.days]
    assert reads == [reads_by(article.msgid, n) for n in range(3)] and reads == sorted(reads)
    for day in article.days:
        assert sum(day.by_source.values()) == day.read_user and set(day.by_source) == {"chat", "home", "share",
                                                                                         "search", "other"}
    assert client.datacube.getarticleread(FRIDAY, FRIDAY).rows
    assert client.datacube.getarticleshare(FRIDAY).rows[0]["msgid"] == article.msgid
    assert client.datacube.getbizsummary(FRIDAY, FRIDAY).rows[0]["read_user"] == reads[0]


def test_yesterday_is_not_final_before_eight_beijing_time(sandbox, api):
    client, clock = api
    publish_one(sandbox, clock)
    clock.advance(86400 - 9 * 3600)  # Saturday 07:00 Beijing
    early = client.datacube.getarticletotaldetail(FRIDAY, FRIDAY)
    clock.advance(2 * 3600)  # 09:00
    later = client.datacube.getarticletotaldetail(FRIDAY, FRIDAY)
    assert early.is_delay and not later.is_delay
    assert early.rows[0].days[-1].read_user < later.rows[0].days[-1].read_user


def test_dates_after_yesterday_and_bad_dates_are_refused(sandbox, api):
    client, clock = api
    with pytest.raises(WeChatAPIError) as today:
        client.datacube.getarticletotaldetail(FRIDAY, FRIDAY)  # today is not over
    assert today.value.errcode == 61501
    with pytest.raises(WeChatAPIError) as bad:
        client.call("post", "datacube/getarticletotaldetail", json={"begin_date": "2027-1-x", "end_date": "z"})
    assert bad.value.errcode == 61500


def test_an_unverified_account_is_told_analytics_need_verification(sandbox, api):
    client, _clock = api
    sandbox.settings.accounts[0].verified = False
    with pytest.raises(WeChatAPIError) as refused:
        client.datacube.getarticletotaldetail(FRIDAY - dt.timedelta(days=1), FRIDAY - dt.timedelta(days=1))
    assert refused.value.errcode == 48001
    assert "analytics need a verified account" in refused.value.message and "微信认证" in refused.value.hint


def test_unknown_fields_are_kept_and_bad_figures_count_zero():
    article = parse_article({"ref_date": "2027-01-15", "msgid": "2247000001_2", "publish_type": 0, "detail_list": [
        {"stat_date": "2027-01-15", "read_user": "12", "share_user": None, "new_field": 7,
         "read_user_source": [{"user_source": 99, "read_user": 3}, "junk"]}]})
    [day] = article.days
    assert article.index == 2 and article.msg_data_id == "2247000001"
    assert day.read_user == 12 and day.share_user == 0 and day.extra == {"new_field": 7}
    assert day.by_source["other"] == 3
