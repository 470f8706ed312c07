"""`wechat-pub run` stops on SIGTERM also while it is busy: the handler asks the server's loop to end instead of
raising an interrupt wherever the main thread was. Raised while that thread started a request's thread (inside
socketserver), the interrupt became an error socketserver logged and served on after, and the service ignored
the SIGTERM (CI's +3y run of test_reach_browser: "did not stop within 20 s of SIGTERM"). That moment is too
short to hit on purpose: this test passed with the old handler too (8 attempts); it guards that a busy service
stops, and CI's trace is the evidence of the race."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from conftest import free_port, wait_until_responds


def test_a_busy_service_stops_on_sigterm(sandbox_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    for attempt in range(3):
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "wechat_pub", "run", "--port", str(port)], cwd=sandbox_dir,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_until_responds(f"http://127.0.0.1:{port}/healthz", process=process)
        busy, done = [], threading.Event()

        def keep_asking() -> None:  # requests arriving all the time: the main thread keeps starting threads
            while not done.is_set():
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                    busy.append(1)
                except (OSError, http.client.HTTPException):  # (the service stopping mid-answer)
                    pass

        askers = [threading.Thread(target=keep_asking, daemon=True) for _ in range(6)]
        for asker in askers:
            asker.start()
        while len(busy) < 50:
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        try:
            output = process.communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0]
            raise AssertionError(f"attempt {attempt + 1}: did not stop within 15 s of SIGTERM:\n{output[-3000:]}")
        finally:
            done.set()
        assert process.returncode == 0 and "stopped" in output, output[-3000:]


def test_a_service_whose_port_is_taken_starts_nothing_and_says_what_to_do(sandbox_dir):
    """`wechat-pub run` on a port something else holds: the port is bound before anything starts, and the
    command says so, with what to do (status 1). Werkzeug said only that, and only after the service had said
    where its console was and that its scheduler ran (a newcomer's finding, 2026-12-06), and its lease was held
    until given up: another service started right after must run the schedule at once, not 30 s later."""
    import socket

    from wechat_pub.deployment import open_deployment

    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.run([sys.executable, "-m", "wechat_pub", "run", "--port", str(port)], cwd=sandbox_dir,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    output = process.stdout
    assert process.returncode == 1 and f"Port {port} on 127.0.0.1 is in use" in output, output[-3000:]
    assert f"wechat-pub run --port {port + 1}" in output and "console at" not in output, output[-3000:]
    deployment = open_deployment(str(sandbox_dir / "config.toml"))
    try:
        assert deployment.services.leases.take_lease("scheduler", "the next service", 30), \
            "the scheduler's lease is still held by the service that exited"
    finally:
        deployment.close()


def test_a_host_that_is_not_this_machines_is_not_called_a_port_in_use(sandbox_dir):
    """The review (2026-12-06): any address that could not be bound was said to be a port in use."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    process = subprocess.run([sys.executable, "-m", "wechat_pub", "run", "--host", "192.0.2.77", "--port", "8123"],
                             cwd=sandbox_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=60)
    assert process.returncode == 1 and "Cannot listen on 192.0.2.77:8123" in process.stdout, process.stdout[-2000:]
    assert "in use" not in process.stdout and "Check --host" in process.stdout


def test_a_port_this_user_may_not_open_says_so(monkeypatch):
    """The review (2026-12-06): --port 80 without privileges was told to check --host."""
    import errno

    from wechat_pub import service
    from wechat_pub.errors import WechatPubError

    def refused(host, port):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(service, "listen_on", refused)
    with pytest.raises(WechatPubError, match="Not allowed to listen on port 80") as info:
        service.Service(None, "0.0.0.0", 80).run()  # (refused before anything starts)
    assert "Ports below 1024 need privileges" in info.value.hint
