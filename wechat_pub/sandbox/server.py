"""Running the sandbox: in the foreground (`wechat-pub sandbox`), or in a thread for one command."""

from __future__ import annotations

import threading
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

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


def is_running(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/sandbox/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def start_in_thread(settings: "SandboxSettings", host: str = "127.0.0.1", port: int = 0) -> RunningSandbox:
    """Serve the sandbox from a background thread (port 0: any free port)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from wechat_pub.sandbox.app import create_sandbox_app

    class QuietHandler(WSGIRequestHandler):  # no access log: a sandbox serving one command should not talk over it
        def log_request(self, *args, **kwargs) -> None:
            pass

    server = make_server(host, port, create_sandbox_app(settings), threaded=True, request_handler=QuietHandler)
    url = f"http://{host}:{server.server_port}"
    if not settings.public_url:
        settings.public_url = url
    # A short poll interval: stopping the sandbox (at the end of a command) waits at most this long.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="wechat-pub-sandbox",
                              daemon=True)
    thread.start()
    return RunningSandbox(url, server, thread)


def ensure_sandbox(settings: "SandboxSettings", host: str, port: int) -> RunningSandbox:
    """Use the sandbox already serving on host:port, or start one there for this command."""
    url = f"http://{host}:{port}"
    if is_running(url):
        return RunningSandbox(url)
    try:
        return start_in_thread(settings, host, port)
    except OSError:  # the port is taken by something else: any free port will do for this command
        return start_in_thread(settings, host, 0)
