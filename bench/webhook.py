"""The webhook under load: gunicorn on loopback, an archive of 100,000 bilingual items, keyword queries in
safe mode (signed and AES-encrypted, every request a new message) at 50 concurrent connections from wrk
(one thread: the load generator leaves the server the other core). The same server and load against a bare
WSGI app that answers "success" gives the ceiling, measured in the same run.

    python bench/webhook.py [--items 100000] [--seconds 20] [--workers 4]

Needs Debian's wrk. Goal (printed, not asserted): at least half the ceiling's throughput, p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wechat_pub.bot.protocol import signed_message  # noqa: E402
from wechat_pub.bot.simulate import message_xml  # noqa: E402
from wechat_pub.source.writer import write_article  # noqa: E402
from wechat_pub.synthetic import EN_WORDS, ZH_WORDS, IssueFactory  # noqa: E402

TOKEN = "benchToken123"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx_sandbox"
ITEMS_PER_ISSUE = 50
BARE_APP = '''
def app(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"success"]


from flask import Flask, request

flask_app = Flask(__name__)


@flask_app.post("/wechat")
def success():  # the framework alone: what a Flask webhook costs before it does anything
    request.get_data()
    return "success"


@flask_app.get("/healthz")
def healthz():
    return "ok"
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_site(folder: Path, items: int) -> None:
    articles = folder / "articles"
    articles.mkdir(parents=True)
    shutil.copy(ROOT / "config.toml", folder)
    for number in range(1, items // ITEMS_PER_ISSUE + 1):
        issue = IssueFactory(number).issue(number=number, sections=5, items_per_section=ITEMS_PER_ISSUE // 5,
                                           paragraphs=1, sentences=6,
                                           date=f"20{10 + number % 16:02d}-{number % 12 + 1:02d}-01")
        (articles / f"issue-{number:05d}.md").write_text(write_article(issue), encoding="utf-8")


def wrk_script(folder: Path, count: int, path: str) -> Path:
    """Pre-signed, pre-encrypted requests, each a new message (a new MsgId: no retry shortcut)."""
    rng = random.Random(1)
    keywords = list(ZH_WORDS) + [w for w in EN_WORDS if len(w) > 3] + ["135", "最新", "量子计算"]
    lines = ["local requests = {}"]
    for n in range(count):
        query = rng.choice(keywords)
        xml = message_xml(query, "gh_bench").replace("o_simulated_follower_0001", f"o_bench_{n % 997}")
        params, body = signed_message(xml, TOKEN, "safe", AES_KEY, APPID)
        target = path + "?" + "&".join(f"{k}={v}" for k, v in params.items())
        lines.append(f"requests[{n + 1}] = {{{lua_string(target)}, {lua_string(body.decode())}}}")
    lines += ["local i = 0",
              "request = function()",
              "  i = i % #requests + 1",
              "  return wrk.format('POST', requests[i][1], {['Content-Type'] = 'text/xml'}, requests[i][2])",
              "end"]
    script = folder / "requests.lua"
    script.write_text("\n".join(lines), encoding="utf-8")
    return script


def lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def start_gunicorn(folder: Path, app: str, workers: int, env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                                "--log-level", "warning", app], cwd=folder, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return process, port
        except OSError:
            if process.poll() is not None:
                raise SystemExit("gunicorn exited; run it by hand to see why")
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start in time")


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    sizes = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if f"PPid:\t{master.pid}\n" in status:
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sorted(sizes)


def run_wrk(port: int, script: Path, seconds: int, connections: int) -> dict:
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                           f"http://127.0.0.1:{port}/"], capture_output=True, text=True, timeout=seconds + 120)
    text = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", text).group(1)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    return {"rps": rps, "p50": latency["50"], "p99": latency["99"], "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else "none"}


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="wechat-pub-webhook-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    env.update(WECHAT_PUB_WEBHOOK__TOKEN=TOKEN, WECHAT_PUB_WEBHOOK__AES_KEY=AES_KEY)
    try:
        started = time.perf_counter()
        build_site(work, args.items)
        written = time.perf_counter() - started
        (work / "bare_app.py").write_text(BARE_APP)
        script = wrk_script(work, 40_000, "/wechat")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from wechat_pub.deployment import open_deployment; "
                        "open_deployment().site().archive"], cwd=work, env=env, check=True)
        indexed = time.perf_counter() - started
        index_mb = (work / "state" / "search.sqlite3").stat().st_size / 2**20
        print(f"archive: {args.items:,} items in {args.items // ITEMS_PER_ISSUE:,} article files (written in "
              f"{written:.0f} s); parsed and indexed in {indexed:.0f} s, index {index_mb:.0f} MB")
        print(f"load: wrk, 1 thread, {args.connections} connections, {args.seconds} s; gunicorn -w {args.workers} "
              f"(sync); safe mode, 40,000 distinct signed+encrypted keyword messages")
        results = {}
        for name, app in (("bare WSGI 'success' (ceiling)", "bare_app:app"),
                          ("bare Flask route 'success'", "bare_app:flask_app"),
                          ("wechat-pub webhook", "wechat_pub.app:create_app()")):
            process, port = start_gunicorn(work, app, args.workers, env)
            try:
                run_wrk(port, script, 3, args.connections)  # warm up
                results[name] = run_wrk(port, script, args.seconds, args.connections)
                results[name]["rss"] = worker_rss_mb(process)
            finally:
                stop(process)
            r = results[name]
            print(f"  {name:<32} {r['rps']:8.0f} req/s   p50 {r['p50']:6.1f} ms   p99 {r['p99']:6.1f} ms   "
                  f"non-2xx {r['non2xx']}   socket errors {r['socket_errors']}   "
                  f"worker RSS {', '.join(f'{m:.0f}' for m in r['rss'])} MB")
        ours, ceiling = results["wechat-pub webhook"], results["bare WSGI 'success' (ceiling)"]
        flask_only = results["bare Flask route 'success'"]
        ratio = ours["rps"] / ceiling["rps"]
        print(f"Flask alone reaches {flask_only['rps'] / ceiling['rps']:.2f} of the ceiling; the webhook "
              f"{ours['rps'] / flask_only['rps']:.2f} of Flask alone")
        print(f"throughput: {ratio:.2f} of the ceiling (goal ≥ 0.50: {'met' if ratio >= 0.5 else 'MISSED'}); "
              f"p99 {ours['p99']:.1f} ms (goal < 100 ms: {'met' if ours['p99'] < 100 else 'MISSED'})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
