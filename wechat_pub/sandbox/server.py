"""Running the sandbox: in the foreground (`wechat-pub sandbox`), or in a thread for one command."""

from __future__ import annotations

import socket
import threading
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wechat_pub.sockets import listen_on

if TYPE_CHECKING:  # pragma: no cover
    from werkzeug.serving import BaseWSGIServer

    from wechat_pub.sandbox.state import SandboxSettings


@dataclass
class RunningSandbox:
    url: str  # http://host:port
    server: "BaseWSGIServer | None" = None  # None when it was already running elsewhere
    thread: threading.Thread | None = None

    @property
    def api_base(self) -> str:
        return f"{self.url}/cgi-bin/"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.thread.join(timeout=10)


BUSY_SANDBOX_WAIT = 10.0  # seconds a command waits for a sandbox that holds its port but is slow to answer


def is_running(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/sandbox/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def start_in_thread(settings: "SandboxSettings", host: str = "127.0.0.1", port: int = 0,
                    listening: socket.socket | None = None) -> RunningSandbox:
    """Serve the sandbox from a background thread (port 0: any free port; ``listening``: on that socket)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from wechat_pub.sandbox.app import create_sandbox_app

    class QuietHandler(WSGIRequestHandler):  # no access log: a sandbox serving one command should not talk over it
        def log_request(self, *args, **kwargs) -> None:
            pass

    fd = listening.fileno() if listening is not None else None
    server = make_server(host, port, create_sandbox_app(settings), threaded=True, request_handler=QuietHandler,
                         fd=fd)
    if listening is not None:
        listening.close()  # (the server listens on its own copy of it)
    url = f"http://{host}:{server.server_address[1]}"
    if not settings.public_url:
        settings.public_url = url
    # A short poll interval: stopping the sandbox (at the end of a command) waits at most this long.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="wechat-pub-sandbox",
                              daemon=True)
    thread.start()
    return RunningSandbox(url, server, thread)


def ensure_sandbox(settings: "SandboxSettings", host: str, port: int) -> RunningSandbox:
    """Use the sandbox already serving on host:port, or start one there for this command. The port is bound
    here first (werkzeug, finding it taken, prints its own message and exits the process): taken, it is a
    sandbox too busy to answer at once (then it is waited for) or something else (then any free port will do
    for this command)."""
    url = f"http://{host}:{port}"
    if is_running(url):
        return RunningSandbox(url)
    try:
        listening = listen_on(host, port)
    except OSError:
        if is_running(url, timeout=BUSY_SANDBOX_WAIT):
            return RunningSandbox(url)
        return start_in_thread(settings, host, 0)
    return start_in_thread(settings, host, port, listening)
