"""Followers find what they mean (issue 29): traditional characters, other names, whole questions, typos, issues
and months, copies of a story across parts shown once; through the real webhook (signed requests), through
`wechat-pub ask`, and in the parts that decide each rule."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from test_webhook import serve

from conftest import ROOT, SEED_ARTICLE
from wechat_pub.bot.aliases import AliasTable, table_for
from wechat_pub.bot.asking import IssueQuery, issue_query, without_fillers
from wechat_pub.bot.fold import fold
from wechat_pub.bot.index import build_index, strip_part
from wechat_pub.bot.replies import Replier
from wechat_pub.bot.search import Archive
from wechat_pub.source.article import load_issue
from wechat_pub.source.writer import write_article
from wechat_pub.synthetic import split_issue

APPLE = "苹果和谷歌联手开发新型冠状病毒肺炎接触者追踪技术"
APPLE_PARTS = "苹果和谷歌发布蓝牙接触者追踪接口"
NDRC = "国家发展改革委、中央网信办联合印发"
EDPB = "EDPB第二十一次全体会议"
TOKEN = "tok3nForTests"
PASSWORD = "correct horse battery staple"

# The follower examples of the issue's "Done when": query -> what the reply must list
DONE_WHEN = [
    ("蘋果", [APPLE, APPLE_PARTS]),
    ("发改委", [NDRC]),
    ("what did the EDPB say about apps?", [EDPB]),
    ("privcy", ["Showing results for “privacy”", APPLE]),
    ("latest issue", ["第137期 No.137", "Draft Data Security Law"]),
]


@pytest.fixture
def three_issues(firm_dir):
    """Issues 135 (the seed), 136 (the docs' example) and 137 (three parts, one story in each) in articles/."""
    articles = firm_dir / "articles"
    articles.mkdir()
    shutil.copy(SEED_ARTICLE, articles)
    shutil.copy(ROOT / "docs" / "examples" / "issue-136.md", articles)
    shutil.copytree(ROOT / "docs" / "examples" / "images", articles / "images")
    (articles / "issue-137.md").write_text(write_article(split_issue()), encoding="utf-8")
    return firm_dir


@pytest.fixture
def replier(tmp_path):
    issues = [load_issue(SEED_ARTICLE), load_issue(ROOT / "docs" / "examples" / "issue-136.md"), split_issue()]
    build_index(tmp_path / "index.sqlite3", issues)
    return Replier(Archive(None, tmp_path / "index.sqlite3"))


# ---- through the webhook and the CLI --------------------------------------------------------------------


def test_the_issues_examples_through_the_real_webhook(three_issues, monkeypatch):
    webhook, server = serve(three_issues, monkeypatch)
    try:
        for query, expected in DONE_WHEN:
            reply = webhook.ask(query)
            assert all(part in reply for part in expected), (query, reply)
            assert len(reply.encode()) <= 2048
    finally:
        server.shutdown()


def test_the_issues_examples_through_ask(three_issues, run_cli, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", TOKEN)
    for query, expected in DONE_WHEN:
        done = run_cli("ask", "--all", query)
        assert all(part in done.stdout for part in expected), (query, done.stdout, done.stderr)


def test_an_accounts_own_aliases_and_the_candidates_report(three_issues, monkeypatch, run_cli):
    webhook, server = serve(three_issues, monkeypatch, aliases='["果子/苹果"]')
    try:
        assert APPLE in webhook.ask("果子")  # the account's own other name
        assert "没有找到" in webhook.ask("苹果手机")  # found nothing, close to 苹果: a candidate
    finally:
        server.shutdown()
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", TOKEN)
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__SEARCH_SCOPE", "all")
    done = run_cli("queries", "--aliases")
    assert "苹果手机  →  苹果" in done.stdout and "webhook.aliases" in done.stdout


# ---- each rule ----------------------------------------------------------------------------------------


def test_traditional_and_full_width_fold_to_simplified_and_ascii():
    assert fold("蘋果 個人信息 接觸者追蹤 ＧＤＰＲ") == "苹果 个人信息 接触者追踪 gdpr"
    assert fold("乾坤") == "乾坤"  # phrases, not characters: OpenCC keeps what is simplified already


@pytest.mark.parametrize("query, expected", [
    ("latest issue", IssueQuery("latest")), ("最新一期", IssueQuery("latest")), ("Newest issue?", IssueQuery("latest")),
    ("上一期", IssueQuery("previous")), ("issue 135", IssueQuery("number", 135)),
    ("Issue No. 135", IssueQuery("number", 135)), ("No. 135", IssueQuery("number", 135)),
    ("第135期", IssueQuery("number", 135)), ("第１３５期", IssueQuery("number", 135)),
    ("2020.04", IssueQuery("month", month="2020-04")), ("2020-04", IssueQuery("month", month="2020-04")),
    ("2020年4月", IssueQuery("month", month="2020-04")), ("2020.04.27", IssueQuery("month", month="2020-04-27")),
    ("2020年13月", None), ("苹果", None), ("issue of apple", None),
])
def test_queries_for_issues_and_months(query, expected):
    assert issue_query(query) == expected


def test_issues_by_number_latest_previous_and_month(replier):
    assert replier.answer("latest issue").shown == ("issue:137",)
    assert replier.answer("上一期").shown == ("issue:136",)
    assert replier.answer("Issue No. 135").shown == ("issue:135",)
    assert replier.answer("2020.04").shown == ("issue:136", "issue:135")  # 135 is dated by its month
    assert replier.answer("2020年4月27日").shown == ("issue:136", "issue:135")
    assert "没有找到第999期；最新一期是第137期" in replier.answer("第999期").text and replier.answer("2019年1月").matches == 0


def test_question_words_are_dropped_only_when_the_whole_query_finds_nothing(replier):
    assert without_fillers(["what", "did", "the", "edpb", "say", "about", "apps"]) == ["edpb", "apps"]
    assert without_fillers(["苹果和谷歌在做什么"]) == ["苹果和谷歌"]
    assert replier.answer("公安部公布了哪些侵犯个人信息的案件？").shown[0] == ("135.3",)
    assert replier.answer("what did the CNIL say about cookies?").shown == ()  # no answer beats a wrong one


def test_other_names_are_used_when_the_words_are_not_found_as_written(replier):
    assert replier.answer("发改委").shown == (("135.2",),)
    assert replier.answer("个保法").shown == (("137.3",),)
    assert replier.answer("GDPR").shown == (("137.6",),)
    table = table_for(["立方/Lifang", "not a list", "EDPB/欧数委"])
    assert table.names_of("lifang") == {"立方", "lifang"}
    assert "欧洲数据保护委员会" in table.names_of("欧数委")  # merged into the shipped group it shares a name with
    assert AliasTable().names_of("unknown") == frozenset()


def test_typos_are_corrected_against_the_archive_and_said_so(replier):
    for query, corrected in (("privcy", "privacy"), ("数据安金", "数据安全"), ("苹果和谷哥", "苹果和谷歌"),
                             ("Bluetoth", "bluetooth")):
        reply = replier.answer(query)
        assert reply.shown and f"“{corrected}”" in reply.text, (query, reply.text)
    assert replier.answer("苹果").text.startswith("「苹果」共 2 条结果")  # found as written: nothing corrected


def test_copies_of_a_story_across_parts_are_shown_once_with_their_parts(replier):
    reply = replier.answer("Bluetooth")
    assert reply.shown == (("137.1", "137.4", "137.7"), ("135.5",)) and reply.matches == 2
    assert "Part 1/Part 2/Part 3" in reply.text and "(Part 2)" not in reply.text
    assert strip_part("苹果和谷歌发布蓝牙接触者追踪接口（第二部分）") == APPLE_PARTS


def test_nothing_found_suggests_close_words_never_layout_words_and_help_comes_from_the_archive(replier):
    text = replier.answer("苹果手机").text
    assert "没有找到与「苹果手机」相关的内容。试试：苹果" in text
    for query in ("量子计算", "bitcoin"):
        text = replier.answer(query).text
        assert "部分" not in text and "Part" not in text and "Personal" not in text, text
    help_text = replier.answer("帮助").text
    assert "如 137" in help_text and "2020.05" in help_text and "GDPR" not in help_text


def test_the_relevance_bench_meets_its_goals():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "relevance.py")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith("met"), done.stdout


def test_the_followers_page_lists_other_names_to_confirm(three_issues, monkeypatch):
    from wechat_pub.app import create_app
    from wechat_pub.config import load_config

    webhook, server = serve(three_issues, monkeypatch)
    try:
        for query in ("苹果手机", "量子计算", "苹果"):
            webhook.ask(query)
    finally:
        server.shutdown()
    from wechat_pub.deployment import Deployment

    Deployment(load_config()).services.users.add("editor1", "editor", PASSWORD)
    client = create_app(load_config()).test_client()
    login = client.get("/console/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    client.post("/console/login", data={"csrf_token": token, "name": "editor1", "password": PASSWORD},
                base_url="https://localhost", headers={"Referer": "https://localhost/console/login"})
    page = client.get("/console/default/followers?days=7", base_url="https://localhost").get_data(as_text=True)
    assert "可能的别名" in page, page[-3000:]  # "Other names?", in the console's default language
    other_names = page.split("可能的别名")[1]
    assert "苹果手机" in other_names and "<td data-verbatim>苹果</td>" in other_names and "量子计算" not in other_names


def test_a_long_query_is_not_corrected_or_compared_word_by_word(replier, monkeypatch):
    """Hostile input: the fallbacks' work grows with the query (every window of it against the vocabulary), so
    a query longer than a follower's question gets none of them, only "nothing found"."""
    from wechat_pub.bot.typos import Speller

    calls = []
    monkeypatch.setattr(Speller, "correct_chinese", lambda self, run: calls.append(run))
    monkeypatch.setattr(Speller, "close", lambda self, term, limit=4: calls.append(term) or [])
    reply = replier.answer("数据安金" * 500)
    assert reply.matches == 0 and "没有找到" in reply.text and calls == []
    replier.answer("数据安金")
    assert calls  # a question's length still gets them
