"""An idle service stays idle (issue 27): `wechat-pub run` with 2,000 issues on disk and nothing to do, for
--seconds (default 300), while it syncs the folder, renews the scheduler's lease and checks what it serves as
it always does; then one article is changed and the time until the database has it is measured.

    python bench/idle.py [--issues 2000] [--seconds 300] [--sync-seconds 30]

Printed: the CPU time the service used (its process and any child, from /proc), as a share of one core over
the window (goal < 2 %), and how long the changed file took to reach the database (goal: within the sync
interval, `schedule.sync_seconds`). CPU time, not wall time, is measured: other jobs on the machine slow the
service's work but hardly add to it. The service is started and its first sync done before the window opens.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from console import Server, build_folder, wechat_pub  # noqa: E402

GOAL_PERCENT = 2.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its children (waited-for and living), from /proc."""
    total = 0.0
    for child in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # ended meanwhile
            continue
        total += sum(int(value) for value in fields[11:15]) / TICKS  # utime, stime, cutime, cstime
    return total


def descendants(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if parent == pid:
                found += [int(entry.name), *descendants(int(entry.name))]
    return found


def stored_hash(folder: Path, number: int) -> str:
    with sqlite3.connect(f"file:{folder / 'state' / 'state.sqlite3'}?mode=ro", uri=True, timeout=30) as conn:
        row = conn.execute("SELECT text_hash FROM issues WHERE number = ?", (number,)).fetchone()
    return row[0] if row else ""


def pick_up(folder: Path, number: int, limit: float) -> float:
    """Change issue ``number``'s file; seconds until the database has the new text (or ``limit`` passed)."""
    path = folder / "articles" / f"issue-{number:05d}.md"
    before = stored_hash(folder, number)
    path.write_text(path.read_text(encoding="utf-8").replace("Weekly Data Protection Review",
                                                              "Weekly Data Protection Review (changed)", 1),
                    encoding="utf-8")
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if stored_hash(folder, number) != before:
            return time.monotonic() - started
        time.sleep(0.2)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--sync-seconds", type=float, default=30.0, help="schedule.sync_seconds of the service")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds after start before the window opens")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} (2-core machine)")
    with tempfile.TemporaryDirectory(prefix="wechat-pub-idle-bench-") as work:
        folder = Path(work) / "site"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "WECHAT_PUB_SCHEDULE__SYNC_SECONDS": str(args.sync_seconds)}
        build_folder(folder, args.issues)
        wechat_pub(folder, env, "sync")  # the first sync reads every file: not what idling costs
        server = Server(folder, env)
        try:
            time.sleep(args.settle)
            before, started = cpu_seconds(server.process.pid), time.monotonic()
            time.sleep(args.seconds)
            used, window = cpu_seconds(server.process.pid) - before, time.monotonic() - started
            taken = pick_up(folder, args.issues // 2, 3 * args.sync_seconds)
        finally:
            server.stop()
    share = 100 * used / window
    print(f"idle, {args.issues:,} issues: {used:.2f} s of CPU in {window:.0f} s = {share:.2f} % of one core "
          f"(goal < {GOAL_PERCENT} %: {'met' if share < GOAL_PERCENT else 'MISSED'})")
    met = taken <= args.sync_seconds
    print(f"one changed file in the database after {taken:.1f} s (goal: within the sync interval, "
          f"{args.sync_seconds:.0f} s: {'met' if met else 'MISSED'})")


if __name__ == "__main__":
    main()
