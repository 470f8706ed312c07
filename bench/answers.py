"""What a follower's answer costs the webhook, in CPU time of this process (so the machine's other work hardly
moves it): the real WSGI app in-process, signed and encrypted messages as WeChat sends them, by the kind of
queries (those of bench/webhook.py) and the archive's size. Where bench/webhook.py's throughput on a loaded
machine is noise, this figure holds; it leaves out the server (gunicorn, the sockets), which the ceiling there
measures.

    python bench/answers.py [--items 100000] [--answers 20000] [--queries zipf distinct repeated]

Every query kind is measured after a warm-up of 2,000 answers of its own (what a worker has answered since it
started), over ``--answers`` new messages.
"""

from __future__ import annotations

import argparse
import atexit
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webhook import AES_KEY, APPID, TOKEN, build_site, index, queries  # noqa: E402

from wechat_pub.bot.protocol import signed_message  # noqa: E402
from wechat_pub.bot.simulate import message_xml  # noqa: E402

WARM_UP = 2_000


def requests_for(texts: list[str]) -> list[tuple[str, bytes]]:
    out = []
    for n, query in enumerate(texts):
        xml = message_xml(query, "gh_bench").replace("o_simulated_follower_0001", f"o_bench_{n % 997}")
        params, body = signed_message(xml, TOKEN, "safe", AES_KEY, APPID)
        out.append(("&".join(f"{k}={v}" for k, v in params.items()), body))
    return out


def answer(app, query_string: str, body: bytes) -> None:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/wechat", "QUERY_STRING": query_string,
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "REMOTE_ADDR": "127.0.0.1",
               "SERVER_NAME": "bench", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
    status = []
    b"".join(app(environ, lambda line, headers: status.append(line)))
    if not status[0].startswith("200"):
        raise SystemExit(f"the webhook answered {status[0]}: the figures would not be valid")


def measure(folder: Path, kind: str, count: int, seed: int) -> float:
    """CPU milliseconds an answer, in a fresh app (a fresh worker) in ``folder``."""
    from wechat_pub.app import create_app

    os.chdir(folder)
    app = create_app()
    messages = requests_for(queries(kind, WARM_UP + count, seed))
    for query_string, body in messages[:WARM_UP]:
        answer(app, query_string, body)
    started = time.process_time()
    for query_string, body in messages[WARM_UP:]:
        answer(app, query_string, body)
    return (time.process_time() - started) * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000, help="items in the large archive")
    parser.add_argument("--answers", type=int, default=20_000, help="answers measured per kind and archive")
    parser.add_argument("--queries", nargs="+", default=["zipf", "distinct", "repeated"],
                        choices=["zipf", "distinct", "repeated"])
    parser.add_argument("--measure", nargs=3, metavar=("FOLDER", "KIND", "ANSWERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in [k for k in os.environ if k.startswith("WECHAT_PUB_")]:
        del os.environ[name]
    os.environ.update(WECHAT_PUB_WEBHOOK__TOKEN=TOKEN, WECHAT_PUB_WEBHOOK__AES_KEY=AES_KEY,
                      WECHAT_PUB_WEBHOOK__SEARCH_SCOPE="all")
    if args.measure:  # (one measurement, in the process the bench started for it)
        folder, kind, count = args.measure
        print(f"{measure(Path(folder), kind, int(count), seed=1):.6f}")
        return
    work = Path(tempfile.mkdtemp(prefix="wechat-pub-answers-bench-"))
    atexit.register(shutil.rmtree, work, True)
    for count in (50, args.items):
        folder = work / str(count)
        build_site(folder, count)
        index(folder, dict(os.environ))
        for kind in args.queries:  # each in a process of its own, as a fresh worker
            done = subprocess.run([sys.executable, __file__, "--measure", str(folder), kind, str(args.answers)],
                                  capture_output=True, text=True, check=True)
            cost = float(done.stdout.split()[-1])
            print(f"{count:>7,} items, {kind:<8} queries: {cost:.3f} ms of CPU an answer", flush=True)


if __name__ == "__main__":
    main()
