"""The webhook through faults, measured (issue 10): gunicorn with 2 gthread workers on PostgreSQL and Redis,
a bounded stream of fresh signed messages sent as WeChat sends them (up to 3 deliveries, a new one when the
last got no answer), and one fault at a time in the middle of the stream:

  redis-killed        Redis is SIGKILLed, then started again
  postgres-stopped    PostgreSQL is stopped (immediate), then started again
  database-locked     another session holds a lock on the webhook's tables for 8 s
  worker-killed       a worker is SIGKILLed after working out an answer, before keeping it (gunicorn starts a new one)
  two-hosts-redis     two hosts (two gunicorns, each its own folder) behind a round-robin balancer: every message
                      is delivered to one host and retried on the other 2 s later, Redis is SIGKILLed and started
                      again empty in the middle (so retries reach the other host before, during and after the
                      outage), and once the hosts' breakers have cooled down every message is delivered a third
                      time, to its first host (issue 30)

For each: messages answered (a reply, not `success`, within WeChat's deliveries), retries answered identically
(one more delivery of each answered message; with two hosts: both later deliveries, byte for byte), duplicates
(messages logged twice), query-log rows lost.

    python bench/faults.py                       # starts its own PostgreSQL (needs Debian's postgresql) and Redis
    python bench/faults.py --database-url postgresql://user@host/db
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wechat_pub.bot.protocol import parse_xml, signed_message  # noqa: E402

TOKEN = "tok3nForFaults"
MESSAGES = 40
RATE = 10.0  # messages per second
RETRY_AFTER = 2.0  # seconds from a message's first delivery to its retry on the other host (two-hosts-redis)
WORDS = ["苹果", "个人信息", "数据安全", "GDPR", "contact tracing", "EDPB", "区块链", "云计算"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the servers ---------------------------------------------------------------------------------------


class Postgres:
    """A throwaway cluster in a temporary folder (as .ci/run makes one), run as the postgres user."""

    def __init__(self, work: Path):
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.data, self.port = work / "pg", free_port()
        self.data.mkdir()
        shutil.chown(self.data, "postgres", "postgres")
        self._as_postgres(["initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"])
        self.start()

    def _as_postgres(self, command: list[str]) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / command[0]), *command[1:]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._as_postgres(["pg_ctl", "-D", str(self.data), "-l", str(self.data / "log"), "-w", "start", "-o",
                           f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.data}"
                           " -c fsync=off"])

    def stop(self) -> None:
        self._as_postgres(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])


class Redis:
    def __init__(self):
        self.port = free_port()
        self.process = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen([shutil.which("redis-server"), "--port", str(self.port), "--bind",
                                         "127.0.0.1", "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        time.sleep(0.3)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def start_webhook(site: Path, port: int, env_extra: dict) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    env.update(WECHAT_PUB_WEBHOOK__TOKEN=TOKEN, WECHAT_PUB_WEBHOOK__SEARCH_SCOPE="all", **env_extra)
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", "2", "--threads", "8",
                                "--graceful-timeout", "10", "-b", f"127.0.0.1:{port}", "wechat_pub.app:create_app()"],
                               cwd=site, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the webhook did not start")


# ---- being WeChat ------------------------------------------------------------------------------------


def message(n: int, tag: str) -> str:
    text = f"{WORDS[n % len(WORDS)]} {tag}{n}"
    return (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_follower_{n % 7}]]>"
            f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{10**15 + n + hash(tag) % 10**9}</MsgId></xml>"), text


def deliver(url: str, params: dict, body: bytes, raw: bool = False) -> str | bytes | None:
    """One delivery: the reply's content (``raw``: the whole reply's bytes), or None (no answer in 5 s, an error,
    or `success`)."""
    try:
        response = requests.post(url, params=params, data=body, timeout=5)
    except requests.RequestException:
        return None
    if response.status_code != 200 or response.text in ("success", ""):
        return None
    return response.content if raw else parse_xml(response.content).get("Content")


def as_wechat(url: str, xml: str, raw: bool = False) -> str | bytes | None:
    """Up to three deliveries of one message (WeChat retries what got no answer): the answer, or None."""
    params, body = signed_message(xml, TOKEN)
    for _ in range(3):
        answer = deliver(url, params, body, raw)
        if answer is not None:
            return answer
        time.sleep(1)
    return None


# ---- one fault -----------------------------------------------------------------------------------------


def run_fault(name: str, site: Path, redis: Redis, postgres, database_url: str) -> dict:
    port = free_port()
    env = {}
    if name == "worker-killed":  # the worker with the 6th answer dies before keeping it; the next one lives on
        env = {"WECHAT_PUB_TEST_CRASH_AT": "before-keep#6", "WECHAT_PUB_TEST_CRASH_ONCE": str(site / f"killed-{port}")}
    server = start_webhook(site, port, env)
    url = f"http://127.0.0.1:{port}/wechat"
    results: dict[int, tuple[str | None, str | None, str]] = {}

    def send(n: int) -> None:
        xml, text = message(n, name[:3])
        answer = as_wechat(url, xml)
        again = as_wechat(url, xml) if answer is not None else None  # WeChat delivers it again: the same answer?
        results[n] = (answer, again, text)

    fault = threading.Thread(target=inject, args=(name, redis, postgres, database_url), daemon=True)
    threads = []
    for n in range(MESSAGES):
        if n == MESSAGES // 4:
            fault.start()
        thread = threading.Thread(target=send, args=(n,))
        thread.start()
        threads.append(thread)
        time.sleep(1 / RATE)
    for thread in threads:
        thread.join()
    fault.join()
    server.send_signal(signal.SIGTERM)  # a graceful stop: the workers write what their spools hold
    server.wait(30)
    if name == "worker-killed" and not (site / f"killed-{port}").exists():
        raise SystemExit("worker-killed: no worker reached its 6th answer; the fault did not happen")
    logged = count_logged([site], database_url, {text for _, _, text in results.values()})
    answered = [n for n, (answer, _, _) in results.items() if answer is not None]
    identical = [n for n in answered if results[n][1] == results[n][0]]
    duplicates = sum(1 for text in logged if logged[text] > 1)
    lost = sum(1 for n in answered if logged.get(results[n][2], 0) == 0)
    return {"fault": name, "messages": MESSAGES, "answered": len(answered), "identical": len(identical),
            "duplicates": duplicates, "lost": lost}


def run_two_hosts(sites: list[Path], redis: Redis, database_url: str) -> dict:
    """Two hosts, Redis killed between messages' first delivery and their retry on the other host."""
    name, ports = "two-hosts-redis", [free_port() for _ in sites]
    servers = [start_webhook(site, port, {}) for site, port in zip(sites, ports)]
    urls = [f"http://127.0.0.1:{port}/wechat" for port in ports]
    results: dict[int, tuple[bytes | None, bytes | None, str]] = {}
    sent = {n: message(n, "two") for n in range(MESSAGES)}  # (xml, query): each message the same every time

    def send(n: int) -> None:
        xml, text = sent[n]
        first = as_wechat(urls[n % 2], xml, raw=True)
        time.sleep(RETRY_AFTER)
        results[n] = (first, as_wechat(urls[(n + 1) % 2], xml, raw=True), text)  # the balancer's other host

    fault = threading.Thread(target=inject, args=("redis-killed", redis, None, database_url), daemon=True)
    threads = []
    for n in range(MESSAGES):
        if n == MESSAGES // 4:
            fault.start()
        threads.append(threading.Thread(target=send, args=(n,)))
        threads[-1].start()
        time.sleep(1 / RATE)
    for thread in threads:
        thread.join()
    fault.join()
    time.sleep(4)  # the breakers' cool-down: both hosts back on Redis (empty of what it held before)
    third = {n: as_wechat(urls[n % 2], sent[n][0], raw=True) for n in results}
    for server in servers:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    logged = count_logged(sites, database_url, {text for _, _, text in results.values()})
    answered = [n for n, (first, _, _) in results.items() if first is not None]
    identical = [n for n in answered if results[n][0] == results[n][1] == third[n]]
    duplicates = sum(1 for text in logged if logged[text] > 1)
    lost = sum(1 for n in answered if logged.get(results[n][2], 0) == 0)
    return {"fault": name, "messages": MESSAGES, "answered": len(answered), "identical": len(identical),
            "duplicates": duplicates, "lost": lost}


def inject(name: str, redis: Redis, postgres, database_url: str) -> None:
    if name == "redis-killed":
        redis.kill()
        time.sleep(3)
        redis.start()
    elif name == "postgres-stopped":
        postgres.stop()
        time.sleep(3)
        postgres.start()
    elif name == "database-locked":
        import sqlalchemy

        engine = sqlalchemy.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            conn.exec_driver_sql("LOCK TABLE webhook_replies, queries IN ACCESS EXCLUSIVE MODE")
            time.sleep(8)
        engine.dispose()


def count_logged(sites: list[Path], database_url: str, texts: set[str]) -> dict[str, int]:
    """Rows per query text, after every spool left on the hosts (by killed workers too) is written."""
    from wechat_pub.state.database import StateDatabase
    from wechat_pub.state.querylog import QuerySpool

    db = StateDatabase(database_url)
    for site in sites:
        QuerySpool(lambda: db, site / "state" / "query-log", delay=3600).flush()
    with db.connect() as conn:
        rows = conn.exec_driver_sql("SELECT query, COUNT(*) FROM queries GROUP BY query").all()
    return {query: count for query, count in rows if query in texts}


def make_site(site: Path, database_url: str, redis: Redis) -> Path:
    """A host's folder: the project's config on the shared database and Redis, the seed issue."""
    (site / "articles").mkdir(parents=True)
    shutil.copy(ROOT / "config.toml", site / "config.toml")
    shutil.copy(ROOT / "articles" / "issue-135.md", site / "articles")
    with open(site / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(f'\n[state]\ndatabase_url = "{database_url}"\nredis_url = "{redis.url}"\n')
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL to use (default: start a throwaway one)")
    parser.add_argument("--faults", default="redis-killed,postgres-stopped,database-locked,worker-killed,"
                                            "two-hosts-redis")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wechat-pub-faults-"))
    os.chmod(work, 0o755)
    postgres = None if options.database_url else Postgres(work)
    database_url = options.database_url or postgres.url
    redis = Redis()
    site, other = (make_site(work / name, database_url, redis) for name in ("site", "other-host"))
    rows = []
    try:
        for name in options.faults.split(","):
            if name == "postgres-stopped" and postgres is None:
                print(f"{name}: skipped (give no --database-url to let the bench stop its own PostgreSQL)")
                continue
            if name == "two-hosts-redis":
                rows.append(run_two_hosts([site, other], redis, database_url))
            else:
                rows.append(run_fault(name, site, redis, postgres, database_url))
            print(f"{name}: done", flush=True)
    finally:
        redis.kill()
        if postgres:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'fault':<18} {'messages':>8} {'answered':>9} {'retries identical':>18} {'duplicates':>11} "
          f"{'query-log lost':>15}")
    for row in rows:
        print(f"{row['fault']:<18} {row['messages']:>8} {row['answered']:>9} {row['identical']:>18} "
              f"{row['duplicates']:>11} {row['lost']:>15}")
    met = all(r["answered"] == r["messages"] and r["identical"] == r["answered"] and not r["duplicates"]
              and not r["lost"] for r in rows)
    print(f"goal: every message answered, every retry answered identically, none processed twice, none lost: "
          f"{'met' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
