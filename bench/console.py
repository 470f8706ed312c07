"""The console at a year's scale (issue 27): 2,000 issues and 5,000,000 logged queries over a year, on SQLite and
on PostgreSQL, served by `wechat-pub run` on a real socket and read signed in, as the team's browser does.

    python bench/console.py [--scale 1.0] [--rounds 20] [--database-url postgresql+psycopg://user@host/db]
                            [--only sqlite|postgresql] [--prune-days 182] [--work DIR]

The tables and indexes are the product's own, made by its migrations: the bench brings a new database to the
revision before the query log's summaries (0006), writes the queries straight into the product's `queries`
table (executemany on SQLite, COPY on PostgreSQL: a year of queries through the webhook would take a year),
then upgrades to the newest revision, whose migration fills the summaries as it would for a real year's log.
The issues go in through `wechat-pub sync`, as an articles folder does. PostgreSQL's database is a schema of
its own (as the tests do); without --database-url, WECHAT_PUB_TEST_DATABASE_URL is used when set.

Printed: each page's median and p95 over --rounds requests (goal p95 < 300 ms) beside the sign-in page's (the
baseline of the same server and machine) and the server's CPU time a request (the process's own, from /proc:
what a request costs however loaded the machine; on PostgreSQL the database's work is not in it), the followers CSV of a year
(rows a second, goal > 100k; the server's resident memory growth while it streams, goal < 100 MB), the editor's
live preview of the seed issue and of the 8-article issue, a word typed into one paragraph before each
request (round trip on loopback, which bounds the server's time from above; goals p95 < 30 and < 80 ms), and
the retention (`webhook.query_log_days`) cutting the year to --prune-days while a follower keeps asking the
webhook (queries deleted a second; the answers' p95, goal < 300 ms), and the query log's move of a batch of 2,000
new queries into the year's log against the same into an empty one (goal: within the move's 2 s delay). --scale 0.1 is a quick run (200 issues,
500,000 queries). --work DIR keeps the deployments built, and a later run with the same DIR and scale measures
them again without building; with --work the prune is not measured (it deletes half the year, and the run after
would measure the pages on half a year): a run without --work measures it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wechat_pub.source.writer import write_article  # noqa: E402
from wechat_pub.state import queryretention  # noqa: E402
from wechat_pub.synthetic import EN_WORDS, ZH_WORDS, IssueFactory  # noqa: E402

APPID = "wx_sandbox"
PASSWORD = "bench password 27"
DAY = 86400
# The pages timed, one line each: (name, path). {issue} is an issue of the archive. A page that answers 404 is
# reported as absent (the analytics Reach page of issue 26 joins here when it exists: add its line).
PAGES = (
    ("issues list", "/console/default/"),
    ("issue page", "/console/default/issues/{issue}"),
    ("calendar", "/console/default/calendar"),
    ("followers, 365 days", "/console/default/followers?days=365"),
    ("reach (issue 26)", "/console/default/reach"),
)
PAGE_GOAL_MS = 300
CSV_GOAL_ROWS = 100_000
CSV_GOAL_MB = 100
PREVIEW_GOALS_MS = {"seed issue": 30, "8-article issue": 80}
PRUNE_ANSWER_GOAL_MS = 300  # a follower's answer while the prune runs (WeChat waits 5 s)
MOVE_BATCH = 2_000  # queries a worker's spool brings in one move at 1,000 messages a second (one move every 2 s)
WEBHOOK_TOKEN = "benchToken27"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the deployment --------------------------------------------------------------------------------------


def build_folder(folder: Path, issues: int) -> None:
    """A deployment folder: the repository's config and assets, ``issues`` synthetic issues of ten items."""
    articles = folder / "articles"
    articles.mkdir(parents=True)
    shutil.copy(ROOT / "config.toml", folder)
    shutil.copytree(ROOT / "assets", folder / "assets")
    for number in range(1, issues + 1):
        issue = IssueFactory(number).issue(number=number, sections=5, items_per_section=2, paragraphs=1,
                                           sentences=5, date=f"20{10 + number % 16:02d}-{number % 12 + 1:02d}-01")
        (articles / f"issue-{number:05d}.md").write_text(write_article(issue), encoding="utf-8")


def postgres_env(database_url: str) -> dict:
    """A schema of its own in that PostgreSQL, as the tests make one."""
    import sqlalchemy

    schema = f"bench_console_{os.getpid()}_{int(time.time())}"
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return {"WECHAT_PUB_STATE__DATABASE_URL": f"{url}{separator}options=-csearch_path%3D{schema}"}


def wechat_pub(folder: Path, env: dict, *args: str, stdin: str | None = None) -> None:
    subprocess.run([sys.executable, "-m", "wechat_pub", *args], cwd=folder, env=env, check=True, input=stdin,
                   text=True, stdout=subprocess.DEVNULL)


def open_database(folder: Path, env: dict):
    """The deployment's state database, opened as the product opens it but not upgraded (the bench stops at
    the revision before the summaries)."""
    from wechat_pub.state.database import open_engine
    from wechat_pub.state.urls import driver_url, sqlite_url

    (folder / "state").mkdir(mode=0o700, exist_ok=True)
    return open_engine(driver_url(env.get("WECHAT_PUB_STATE__DATABASE_URL") or sqlite_url(folder / "state")))


def migrate_to(engine, revision: str) -> None:
    from alembic import command

    from wechat_pub.state.migrate import alembic_config

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def before_summaries() -> str:
    """The revision the query log's summaries migration follows (read from it: the chain may be renumbered)."""
    found = sorted((ROOT / "wechat_pub/state/migrations/versions").glob("*_query_log_scale.py"))
    if not found:  # the code before it (a baseline run)
        return "head"
    return re.search(r'^down_revision = "(\w+)"', found[0].read_text(encoding="utf-8"), re.M).group(1)


# ---- a year of queries -----------------------------------------------------------------------------------


def query_rows(count: int, now: float, seed: int = 27):
    """``count`` queries over the year before ``now``, oldest first: the archive's words by a Zipf law (a few
    asked very often, a long tail), a third of them words no issue has, from 100,000 followers (also Zipf)."""
    rng = random.Random(seed)
    vocabulary = list(ZH_WORDS) + list(EN_WORDS) + [f"{a} {b}" for a in EN_WORDS[:40] for b in EN_WORDS[:40]]
    vocabulary += [f"{a}{b}" for a in ZH_WORDS for b in ZH_WORDS] + [str(n) for n in range(1, 2001)]
    unknown = [f"unknown{n}" for n in range(20_000)] + [f"未知词{n}" for n in range(10_000)]
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(vocabulary))]
    followers = [f"{n:064x}" for n in range(100_000)]
    follower_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(followers))]
    chunk = 100_000
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        known = rng.choices(vocabulary, weights, k=size)
        who = rng.choices(followers, follower_weights, k=size)
        for offset in range(size):
            n = start + offset
            at = now - 365 * DAY + (n + rng.random()) * 365 * DAY / count  # evenly over the year, oldest first
            if rng.random() < 0.33:
                yield (f"b{n:x}", APPID, at, rng.choice(unknown), 0, who[offset])
            else:
                yield (f"b{n:x}", APPID, at, known[offset], 1 + n % 7, who[offset])


def load_queries(engine, count: int, now: float) -> float:
    """Write ``count`` queries into the product's table; the seconds it took."""
    started = time.perf_counter()
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        rows = query_rows(count, now)
        if engine.dialect.name == "postgresql":
            with cursor.copy("COPY queries (entry_id, appid, at, query, matches, follower) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany("INSERT INTO queries (entry_id, appid, at, query, matches, follower) "
                               "VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
    finally:
        conn.close()
    return time.perf_counter() - started


def load_pushes(engine, issues: int, now: float) -> None:
    """Most issues published (one a few days apart, the last year's on the calendar), the rest drafts."""
    rows = [(APPID, n, f"articles/issue-{n:05d}.md", "published" if n % 10 else "draft", now - (issues - n) * DAY / 5)
            for n in range(1, issues + 1)]
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO pushes (appid, issue, path, state, content_hash, marker, pending_hash, "
                             "draft_media_id, article_count, publish_id, article_urls, cover_url, wechat_hash, error, "
                             "hint, updated_at) VALUES (%s, %s, %s, %s, '', '', '', '', 1, '', '[]', '', '', '', '', %s)"
                             if engine.dialect.name == "postgresql" else
                             "INSERT INTO pushes (appid, issue, path, state, content_hash, marker, pending_hash, "
                             "draft_media_id, article_count, publish_id, article_urls, cover_url, wechat_hash, error, "
                             "hint, updated_at) VALUES (?, ?, ?, ?, '', '', '', '', 1, '', '[]', '', '', '', '', ?)",
                             rows)


# ---- the server and a signed-in browser --------------------------------------------------------------------


class Server:
    """`wechat-pub run` on a free port; its process id for its memory."""

    def __init__(self, folder: Path, env: dict):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-m", "wechat_pub", "run", "--port", str(self.port)],
                                        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit("wechat-pub run exited; run it by hand to see why")
                time.sleep(0.3)
        raise SystemExit("wechat-pub run did not start in time")

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def cpu_ms(self) -> float:
        """CPU time the server has used (all its threads), in milliseconds: what a request costs, however busy
        the machine (its wall time also waits for the cores other jobs hold)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Browser:
    """A signed-in session over one keep-alive connection."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}
        page = self.get("/console/login")[1].decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        body = f"csrf_token={token}&name=bench&password={PASSWORD.replace(' ', '+')}"
        status, _ = self.request("POST", "/console/login", body.encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise SystemExit(f"signing in failed ({status})")
        page = self.get("/console/default/")[1].decode()
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        data = response.read()
        self._keep_cookies(response)
        return response.status, data

    def _keep_cookies(self, response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]

    def get(self, path: str):
        return self.request("GET", path)

    def timed(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        started = time.perf_counter()
        status, data = self.request(method, path, body, headers)
        return status, (time.perf_counter() - started) * 1000, data


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


# ---- the measurements ------------------------------------------------------------------------------------


def time_pages(server: Server, browser: Browser, rounds: int, issues: int, results: list) -> None:
    for name, path in (("baseline: sign-in page", "/console/login"), *PAGES):
        path = path.format(issue=issues // 2)
        status, _, _ = browser.timed("GET", path)
        if status == 404:
            print(f"  {name:<28} absent (404)")
            continue
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        cpu = server.cpu_ms()
        times = [browser.timed("GET", path)[1] for _ in range(rounds)]
        cpu = (server.cpu_ms() - cpu) / rounds
        goal = "" if name.startswith("baseline") else f"(goal p95 < {PAGE_GOAL_MS} ms: {verdict(p95(times) < PAGE_GOAL_MS)})"
        if goal:
            results.append((name, p95(times) < PAGE_GOAL_MS))
        print(f"  {name:<28} median {statistics.median(times):7.1f} ms   p95 {p95(times):7.1f} ms   server CPU "
              f"{cpu:6.1f} ms a request   {goal}", flush=True)


def time_csv(server: Server, browser: Browser, results: list) -> None:
    """The followers CSV of a year, read as it streams; the server's resident memory sampled meanwhile."""
    before = server.rss_mb()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server.rss_mb())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    cpu, started = server.cpu_ms(), time.perf_counter()
    conn.request("GET", "/console/default/followers.csv?days=365",
                 headers={"Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())})
    response = conn.getresponse()
    lines = 0
    while chunk := response.read(1 << 16):
        lines += chunk.count(b"\n")
    seconds, cpu = time.perf_counter() - started, (server.cpu_ms() - cpu) / 1000
    done.set()
    sampler.join()
    conn.close()
    rows = lines - 1  # the header
    rate, growth = rows / seconds, peak[0] - before
    results += [("followers CSV rate", rate > CSV_GOAL_ROWS), ("followers CSV memory", growth < CSV_GOAL_MB)]
    print(f"  {'followers CSV, 365 days':<28} {rows:,} rows in {seconds:.1f} s: {rate:,.0f} rows/s "
          f"(goal > {CSV_GOAL_ROWS:,}: {verdict(rate > CSV_GOAL_ROWS)}); server CPU {cpu:.1f} s, "
          f"{rows / max(cpu, 0.001):,.0f} rows a CPU second; server RSS {before:.0f} -> peak "
          f"{peak[0]:.0f} MB, +{growth:.0f} MB (goal < {CSV_GOAL_MB}: {verdict(growth < CSV_GOAL_MB)})", flush=True)


def typed(text: str, round_number: int) -> str:
    """``text`` with one word added to one of its paragraphs, a different one each round: what the editor sends
    while someone types (one article changed, the others as they were)."""
    lines = text.split("\n")
    paragraphs = [n for n, line in enumerate(lines) if len(line) > 40 and not line.startswith(("#", "-", ">", "!"))]
    chosen = paragraphs[(round_number * 7919) % len(paragraphs)]
    lines[chosen] += f" typed{round_number}"
    return "\n".join(lines)


def time_previews(server_cpu_ms, browser: Browser, rounds: int, results: list) -> None:
    texts = {"seed issue": (ROOT / "articles/issue-135.md").read_text(encoding="utf-8"),
             "8-article issue": write_article(IssueFactory(8).issue(sections=8, items_per_section=4))}
    headers = {"Content-Type": "application/json", "X-CSRFToken": browser.csrf}
    for name, text in texts.items():
        status, _, data = browser.timed("POST", "/console/default/preview", json.dumps({"text": text}).encode(),
                                        headers)
        if status != 200:
            raise SystemExit(f"the preview answered {status}: {data[:200]!r}")
        cpu = server_cpu_ms()
        times = [browser.timed("POST", "/console/default/preview",
                               json.dumps({"text": typed(text, n)}).encode(), headers)[1] for n in range(rounds)]
        cpu = (server_cpu_ms() - cpu) / rounds
        goal = PREVIEW_GOALS_MS[name]
        met = p95(times) < goal
        results.append((f"preview, {name}", met))
        print(f"  {'preview, ' + name:<28} median {statistics.median(times):7.1f} ms   p95 {p95(times):7.1f} ms   "
              f"server CPU {cpu:6.1f} ms a request   (goal p95 < {goal} ms: {verdict(met)})", flush=True)


def time_move(folder: Path, env: dict, results: list) -> None:
    """The query log's move into the database (each webhook worker's, every ``delay`` seconds while followers
    ask): batches of MOVE_BATCH new queries (the year's words and followers) moved into the year's log, and the
    same batches into an empty log (a new SQLite file: the baseline of the same run). The goal: a batch moves
    within the delay, so the log keeps up at 1,000 messages a second."""
    from wechat_pub.settings import SETTINGS
    from wechat_pub.state.database import StateDatabase
    from wechat_pub.state.querylog import QueryLog, QuerySpool
    from wechat_pub.state.urls import driver_url, sqlite_url

    def batches_ms(db, spool_folder: Path) -> list[float]:
        spool = QuerySpool(lambda: db, spool_folder, delay=3600)
        log, rows, times = QueryLog(db, APPID, spool), list(query_rows(MOVE_BATCH * 6, time.time(), seed=99)), []
        for start in range(0, len(rows), MOVE_BATCH):
            for _entry, _appid, _at, query, matches, follower in rows[start:start + MOVE_BATCH]:
                log.add(query, matches, follower)
            started = time.perf_counter()
            spool.flush()
            times.append((time.perf_counter() - started) * 1000)
        db.dispose()
        return times[1:]  # (the first opens the connection)

    with tempfile.TemporaryDirectory(prefix="wechat-pub-move-") as empty:
        baseline = statistics.median(batches_ms(StateDatabase(sqlite_url(Path(empty) / "state")),
                                                Path(empty) / "spool"))
    year = driver_url(env.get("WECHAT_PUB_STATE__DATABASE_URL") or sqlite_url(folder / "state"))
    with tempfile.TemporaryDirectory(prefix="wechat-pub-move-") as spool_folder:
        moved = statistics.median(batches_ms(StateDatabase(year), Path(spool_folder)))
    goal_ms = next(setting.default for setting in SETTINGS if setting.name == "webhook.query_log_delay") * 1000
    results.append(("query log move keeps up", moved < goal_ms))
    print(f"  {'query log move':<28} a batch of {MOVE_BATCH:,} queries into the year's log: median {moved:.0f} ms "
          f"({moved / baseline:.1f}x the same batch into an empty log, {baseline:.0f} ms) "
          f"(goal < {goal_ms:.0f} ms, the move's delay: {verdict(moved < goal_ms)})", flush=True)


def build_case(folder: Path, env: dict, extra_env: dict, issues: int, count: int) -> None:
    started = time.perf_counter()
    build_folder(folder, issues)
    engine = open_database(folder, extra_env)
    migrate_to(engine, before_summaries())
    now = time.time()
    loaded = load_queries(engine, count, now)
    load_pushes(engine, issues, now)
    summarised = time.perf_counter()
    wechat_pub(folder, env, "db", "upgrade")  # the summaries' migration fills them from the year's queries
    summarised = time.perf_counter() - summarised
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum does by itself after a load this size
    engine.dispose()
    wechat_pub(folder, env, "sync")
    wechat_pub(folder, env, "user", "add", "bench", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    print(f"  built in {time.perf_counter() - started:.0f} s (queries written in {loaded:.0f} s, summarised by the "
          f"migration in {summarised:.0f} s)", flush=True)


def time_prune(folder: Path, server: Server, env: dict, keep_days: int, results: list) -> None:
    """The retention cutting the year down to ``keep_days`` (what `wechat-pub run` does an hour after a lower
    webhook.query_log_days), in this process, while a follower asks the service's webhook again and again."""
    from wechat_pub.bot.protocol import signed_message
    from wechat_pub.bot.simulate import message_xml
    from wechat_pub.state.database import StateDatabase
    from wechat_pub.state.queryretention import QueryRetention
    from wechat_pub.state.urls import driver_url, sqlite_url

    def ask(n: int) -> float:
        xml = message_xml("个人信息", "gh_bench").replace("o_simulated_follower_0001", f"o_prune_{n}")
        params, body = signed_message(xml, WEBHOOK_TOKEN)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        started = time.perf_counter()
        conn.request("POST", "/wechat?" + "&".join(f"{k}={v}" for k, v in params.items()), body)
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            raise SystemExit(f"the webhook answered {response.status}")
        return (time.perf_counter() - started) * 1000

    # The first questions have the search index made, in the background; until it is, each waits up to 3 s
    # (search.FIRST_WAIT) and hears that it is being made. The prune is measured once answers come from the index:
    # before, its slowest answer (2.9-3.0 s on PostgreSQL, 1.5 s on SQLite at full scale) was that wait, not the prune.
    ready, deadline = 0, time.monotonic() + 600
    while ready < 10 and time.monotonic() < deadline:
        ready = ready + 1 if ask(0) < 100 else 0
        time.sleep(0.2)
    answers, done = [], threading.Event()

    def keep_asking() -> None:
        while not done.is_set():
            answers.append(ask(len(answers) + 1))
            time.sleep(0.05)

    db = StateDatabase(driver_url(env.get("WECHAT_PUB_STATE__DATABASE_URL") or sqlite_url(folder / "state")))
    asking = threading.Thread(target=keep_asking, daemon=True)
    asking.start()
    started = time.perf_counter()
    deleted = QueryRetention(db, APPID, keep_days).prune(budget=3600)
    seconds = time.perf_counter() - started
    done.set()
    asking.join()
    db.dispose()
    met = p95(answers) < PRUNE_ANSWER_GOAL_MS
    results.append(("answers during the prune", met))
    print(f"  {'prune to ' + str(keep_days) + ' days':<28} {deleted:,} queries in {seconds:.1f} s "
          f"({deleted / seconds:,.0f} a second, {queryretention.BATCH:,} a transaction); meanwhile {len(answers)} "
          f"answers, median {statistics.median(answers):.1f} ms, p95 {p95(answers):.1f} ms, slowest "
          f"{max(answers):.1f} ms (goal p95 < {PRUNE_ANSWER_GOAL_MS} ms: {verdict(met)})", flush=True)


def run_case(label: str, extra_env: dict, args, work: Path) -> list:
    """Build the deployment (unless ``work`` holds it from an earlier run), serve it, time it."""
    issues, count = max(10, round(2000 * args.scale)), max(1000, round(5_000_000 * args.scale))
    folder = work
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra_env}
    print(f"{label}: {issues:,} issues, {count:,} queries over a year", flush=True)
    fresh = not (folder / "built.json").exists()
    if fresh:
        build_case(folder, env, extra_env, issues, count)
        (folder / "built.json").write_text(json.dumps(extra_env))
    else:  # --work: built by an earlier run
        extra_env.update(json.loads((folder / "built.json").read_text()))
        env.update(extra_env)
    env["WECHAT_PUB_WEBHOOK__TOKEN"] = WEBHOOK_TOKEN
    server = Server(folder, env)
    results: list = []
    try:
        browser = Browser(server.port)
        time_pages(server, browser, args.rounds, issues, results)
        time_csv(server, browser, results)
        time_previews(server.cpu_ms, browser, args.rounds, results)
        time_move(folder, env, results)  # (before the prune, which deletes half the year)
        if not args.work:  # (it deletes half the year: a deployment kept with --work is measured without it)
            time_prune(folder, server, env, args.prune_days, results)
        else:
            print("  prune: not measured with --work (it would delete half the year the kept deployment is "
                  "measured on again: run without --work to measure it)")
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 2,000 issues and 5,000,000 queries")
    parser.add_argument("--rounds", type=int, default=20, help="requests timed per page")
    parser.add_argument("--database-url", default=os.environ.get("WECHAT_PUB_TEST_DATABASE_URL", ""))
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--prune-days", type=int, default=182, help="the retention the prune cuts the year to")
    parser.add_argument("--work", help="keep the deployments built in this folder, and reuse them next time")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} (2-core machine: figures are noisy above 2)")
    cases = [] if args.only == "postgresql" else [("sqlite", {})]
    if args.database_url and args.only != "sqlite":
        cases.append(("postgresql", postgres_env(args.database_url)))
    elif args.only == "postgresql":
        raise SystemExit("--only postgresql needs --database-url or WECHAT_PUB_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="wechat-pub-console-bench-") as temporary:
        work = Path(args.work or temporary)
        verdicts = []
        for label, env in cases:
            verdicts += [(label, *result) for result in run_case(label, env, args, work / f"{label}-{args.scale:g}")]
    print("\ngoals:")
    for label, name, met in verdicts:
        print(f"  {label:<11} {name:<28} {verdict(met)}")


if __name__ == "__main__":
    main()
