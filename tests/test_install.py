"""The project installs and runs as a new user gets it: every module imports with only the declared
dependencies, and the installed `wechat-pub run` serves, then stops cleanly on SIGTERM (issue 8)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

from conftest import ROOT, free_port, wait_until_responds

# Runs in a fresh interpreter: works out which top-level modules the *base* dependencies of wechat-pub
# provide (recursively, no extras), refuses every other non-stdlib import, then imports each module.
IMPORT_EVERY_MODULE = textwrap.dedent("""
    import importlib, importlib.abc, importlib.metadata as md, json, pkgutil, re, sys
    from packaging.requirements import Requirement

    def normal(name):
        return re.sub(r"[-_.]+", "-", name).lower()

    allowed, seen, todo = set(), set(), [("wechat-pub", ())]  # (distribution, extras asked of it)
    while todo:
        name, extras = todo.pop()
        name = normal(name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        allowed.add(name)
        for text in md.requires(name) or []:
            requirement = Requirement(text)
            wanted = requirement.marker is None or any(requirement.marker.evaluate({"extra": extra})
                                                       for extra in ("", *extras))
            if wanted:
                todo.append((requirement.name, tuple(sorted(requirement.extras))))

    provided = {module for module, dists in md.packages_distributions().items()
                if any(normal(d) in allowed for d in dists)}
    permitted = provided | set(sys.stdlib_module_names) | {"wechat_pub"}

    class Undeclared(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            top = fullname.partition(".")[0]
            if top not in permitted and not top.startswith("_"):
                raise ModuleNotFoundError(f"{top} is not a declared dependency of wechat-pub", name=top)
            return None

    sys.meta_path.insert(0, Undeclared())
    import wechat_pub
    failed = {}
    names = [m.name for m in pkgutil.walk_packages(wechat_pub.__path__, "wechat_pub.")]
    for name in names:
        if name.endswith("__main__"):
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            failed[name] = str(exc)
    print(json.dumps({"modules": len(names), "failed": failed, "allowed": sorted(allowed)}))
""")


def test_every_module_imports_with_only_the_declared_dependencies(tmp_path):
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERY_MODULE], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failed"] == {}, report["failed"]
    assert report["modules"] > 40
    assert "apscheduler" in report["allowed"]  # the scheduler's library is a declared dependency
    assert "redis" not in report["allowed"] and "psycopg" not in report["allowed"]  # extras stay extras


def test_optional_servers_are_extras():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'postgres = ["psycopg[binary]' in text and 'redis = ["redis' in text
    assert '"APScheduler>=3.11,<4"' in text


def installed_command() -> str:
    """The `wechat-pub` entry point of this environment, as pip installed it (not `python -m`)."""
    script = Path(sys.executable).parent / "wechat-pub"
    assert script.exists(), f"{script} is missing: install the project (pip install -e '.[test]')"
    return str(script)


def test_run_serves_the_webhook_and_the_sandbox_then_stops_on_sigterm(tmp_path):
    port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    env["WECHAT_PUB_SANDBOX__PORT"] = str(sandbox_port)
    process = subprocess.Popen([installed_command(), "run", "--port", str(port)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_responds(f"http://127.0.0.1:{port}/healthz", timeout=30, process=process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert json.loads(response.read())["ok"] is True
        with urllib.request.urlopen(f"http://127.0.0.1:{sandbox_port}/sandbox/health", timeout=5) as response:
            assert json.loads(response.read())["appid"] == "wx_sandbox"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)  # stops by itself on SIGTERM, well before a supervisor kills it
        assert process.returncode == 0, output
        assert "Traceback" not in output and "stopped" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
