"""`wechat-pub serve`, `simulate`, `ask` and `queries` as a user runs them; the webhook under gunicorn."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading

import pytest
import requests

from conftest import DATABASES, SEED_ARTICLE, free_port, make_database_url, wait_until_responds
from wechat_pub.bot.protocol import open_reply, parse_xml, signed_message
from wechat_pub.bot.simulate import message_xml

TOKEN = "tok3nForTests"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.fixture
def site(firm_dir, run_cli, monkeypatch):
    """The firm's folder with the seed issue, published (as the team marks an issue it published by hand).
    The commands run in this process with the environment of ``environment()``; the servers are processes."""
    for name, value in environment().items():
        if name.startswith("WECHAT_PUB_"):
            monkeypatch.setenv(name, value)
    (firm_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, firm_dir / "articles")
    run_cli("mark-published", "articles/issue-135.md", "--url", "https://mp.weixin.qq.com/s/issue135")
    return firm_dir


def environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    env.update({"WECHAT_PUB_WEBHOOK__TOKEN": TOKEN, "WECHAT_PUB_WEBHOOK__AES_KEY": AES_KEY,
                "WECHAT_PUB_WEBHOOK__QUERY_LOG_DELAY": "0", **extra})
    return env


def start(command: list[str], folder, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(base + "/healthz", timeout=30)
    except AssertionError:
        process.kill()
        raise AssertionError(process.stdout.read().decode())
    return process, base


def test_serve_and_simulate_in_all_three_modes(site, run_cli, monkeypatch):
    env = environment(WECHAT_PUB_WEBHOOK__MODE="compat")
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__MODE", "compat")
    server, base = start([sys.executable, "-m", "wechat_pub", "serve", "--port", "{port}"], site, env)
    try:
        for mode in ("plain", "compat", "safe"):
            done = run_cli("simulate", "个人信息", "--url", f"{base}/wechat", "--mode", mode)
            assert f"({mode} mode)" in done.stderr
            assert "公安部公布十起侵犯公民个人信息违法犯罪典型案件" in done.stdout
            done = run_cli("simulate", "contact tracing", "--url", f"{base}/wechat", "--mode", mode)
            assert done.stdout.splitlines()[2].strip().startswith("Apple and Google Partner"), done.stdout
        done = run_cli("simulate", "subscribe", "--event", "subscribe", "--url", f"{base}/wechat")
        assert "感谢关注" in done.stdout
        monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "another")
        done = run_cli("simulate", "GDPR", "--url", f"{base}/wechat", expect=1)
        assert "refused: bad signature" in done.stdout
    finally:
        server.terminate()
        server.wait(10)


def test_ask_and_queries(site, run_cli):
    env = environment()
    done = run_cli("ask", "苹果")
    assert "苹果和谷歌联手开发新型冠状病毒肺炎接触者追踪技术" in done.stdout
    assert "https://mp.weixin.qq.com/s/issue135" in done.stdout  # the published article's link
    server, base = start([sys.executable, "-m", "wechat_pub", "serve", "--port", "{port}"], site, env)
    try:
        for query in ("苹果", "苹果", "GDPR", "量子计算"):
            assert follower_asks(base, query).status_code == 200
        simulated = run_cli("simulate", "区块链", "--url", f"{base}/wechat")
    finally:
        server.terminate()
        server.wait(10)
    assert "not counted in what followers asked" in simulated.stderr
    out = run_cli("queries").stdout
    top, nothing = out.split("queries that found nothing")
    assert "2×  苹果  (1 follower(s))" in top
    assert "GDPR" in nothing and "量子计算" in nothing and "苹果" not in nothing
    assert "区块链" not in out  # the operator's simulated message is no follower's
    dump = (site / "state" / "state.sqlite3").read_bytes()
    assert b"o_simulated_follower_0001" not in dump  # only the salted hash is kept


def follower_asks(base: str, text: str) -> requests.Response:
    """A follower's message, signed and encrypted as WeChat sends it."""
    params, body = signed_message(message_xml(text, "gh_test"), TOKEN, "safe", AES_KEY, "wx_sandbox")
    return requests.post(f"{base}/wechat", params=params, data=body, timeout=10)


def test_gunicorn_workers_share_retries(site, run_cli):
    env = environment()
    server, base = start([sys.executable, "-m", "gunicorn", "-w", "3", "-b", "127.0.0.1:{port}",
                          "wechat_pub.app:create_app()"], site, env)
    try:
        params, body = signed_message(message_xml("个人信息", "gh_test"), TOKEN, "safe", AES_KEY, "wx_sandbox")
        answers: list[str] = []
        responses: list[str] = []

        def deliver():
            response = requests.post(f"{base}/wechat", params=params, data=body, timeout=10)
            responses.append(f"{response.status_code} {response.text[:80]}")
            answers.append(parse_xml(open_reply(response.text, TOKEN, AES_KEY, "wx_sandbox").encode())["Content"])

        threads = [threading.Thread(target=deliver) for _ in range(3)]  # WeChat's three deliveries, at once
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == 3 and len(set(answers)) == 1 and "公安部" in answers[0], responses
        assert "公安部" in run_cli("simulate", "个人信息", "--url", f"{base}/wechat").stdout
        assert follower_asks(base, "个人信息").status_code == 200
    finally:
        server.terminate()
        server.wait(10)
    out = run_cli("queries").stdout
    assert "2×  个人信息  (1 follower(s))" in out  # the retries were one query; simulate's none; the last one


@pytest.mark.parametrize("kind", DATABASES)
def test_gunicorn_preload_workers_log_every_query(kind, site, run_cli, monkeypatch):
    """gunicorn --preload makes the app in its master and forks the workers from it: each worker must log its
    followers' queries under ids of its own (before, every worker wrote the master's ids, and all but the first
    copy of each was skipped as a spool moved twice: review 22), and talk to the database on connections of its
    own, not the master's."""
    url = make_database_url(kind, site)
    monkeypatch.setenv("WECHAT_PUB_STATE__DATABASE_URL", url)
    server, base = start([sys.executable, "-m", "gunicorn", "--preload", "-w", "3", "-b", "127.0.0.1:{port}",
                          "wechat_pub.app:create_app()"], site, environment(WECHAT_PUB_STATE__DATABASE_URL=url))
    try:
        statuses: list[int] = []

        def ask_ten():
            statuses.extend(follower_asks(base, "个人信息").status_code for _ in range(10))

        threads = [threading.Thread(target=ask_ten) for _ in range(3)]  # (at once: the three workers answer)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * 30
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert "30×  个人信息  (1 follower(s))" in run_cli("queries").stdout, output
    assert "Traceback" not in output, output


def test_index_after_a_change_does_not_import_what_it_does_not_print_with(site):
    """`wechat-pub index` runs after every change the webhook sees, as a process of its own: its start is most of
    its time. It prints one plain line, and an empty console.public_url needs no check, so neither rich nor
    urllib3 (about 55 ms of its 0.8 s with 100,000 items) is imported; the line still says what it did."""
    article = site / "articles" / "issue-135.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    script = ("import sys\nfrom wechat_pub.cli import main\nsys.argv = ['wechat-pub', 'index']\n"
              "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
              "print(sorted(name for name in ('rich', 'urllib3') if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], cwd=site, env=environment(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line, imported = done.stdout.splitlines()[-2:]
    assert line.startswith("search index search-default-published.sqlite3: updated (")
    assert imported == "[]"
