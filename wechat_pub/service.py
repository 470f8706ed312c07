"""`wechat-pub run`: every account's webhook and the scheduler in one process, on the embedded defaults (the
sandbox, SQLite) for accounts without WeChat credentials."""

from __future__ import annotations

import errno
import signal
import threading

from werkzeug.serving import make_server

from wechat_pub.config import DEFAULT_ACCOUNT, env_var
from wechat_pub.deployment import Deployment
from wechat_pub.errors import WechatPubError
from wechat_pub.sockets import listen_on


class Service:
    def __init__(self, deployment: Deployment, host: str, port: int, say=print):
        self.deployment = deployment
        self.host, self.port, self.say = host, port, say
        self.scheduler = None

    def start(self):
        """Start the sandbox (if an account needs it) and the scheduler; return the web app to serve."""
        from wechat_pub.app import create_app
        from wechat_pub.doctor import loose_state_files
        from wechat_pub.publish.scheduler import SchedulerService

        deployment = self.deployment
        deployment.services.console_url = deployment.services.console_url or f"http://{self.host}:{self.port}"
        if deployment.uses_sandbox:  # publish events come back to this very service's webhooks
            sandbox = deployment.ensure_sandbox(webhook_base=f"http://{self.host}:{self.port}")
            started = "started here" if sandbox.server else "already running"
            self.say(f"no WeChat credentials: using the sandbox at {sandbox.url}/sandbox/ ({started})")
        app = create_app(deployment=deployment)
        for finding in loose_state_files(deployment):
            self.say(f"warning: {finding}")
        for site in deployment.sites.values():
            if not site.webhook_settings().token:
                variable = env_var("webhook.token", None if site.name == DEFAULT_ACCOUNT else site.name)
                self.say(f"note: webhook.token of account {site.name!r} is empty (fine with the sandbox; set "
                         f"{variable} for WeChat)")
        self.scheduler = SchedulerService(deployment, on_event=lambda kind, detail: self.say(f"schedule: {kind} {detail}"))
        self.scheduler.start()
        return app

    def stop(self) -> None:
        if self.scheduler:
            self.scheduler.stop()
        self.deployment.close()

    def run(self) -> None:
        try:  # bound first: a port in use stops the command before anything starts, saying what to do
            listening = listen_on(self.host, self.port)
        except OSError as exc:
            if exc.errno == errno.EACCES:
                raise WechatPubError(f"Not allowed to listen on port {self.port} ({exc.strerror}).",
                                     "Ports below 1024 need privileges: use --port 8000 behind nginx (see the README)"
                                     ) from None
            if exc.errno != errno.EADDRINUSE:
                raise WechatPubError(f"Cannot listen on {self.host}:{self.port} ({exc.strerror or exc}).",
                                     "Check --host: an address of this machine (127.0.0.1, or 0.0.0.0 for all).") from None
            raise WechatPubError(f"Port {self.port} on {self.host} is in use ({exc.strerror}): another `wechat-pub "
                                 "run`, or another program, holds it.",
                                 f"Stop that one first, or start this one on another port: wechat-pub run --port "
                                 f"{self.port + 1}") from None
        try:
            app = self.start()
        except BaseException:
            listening.close()
            raise
        for site in self.deployment.sites.values():
            self.say(f"account {site.name}: webhook at http://{self.host}:{self.port}{site.webhook_settings().path} "
                     f"(articles in {site.articles.path})")
        self.say(f"console at http://{self.host}:{self.port}/console/")
        self.say("scheduler running. Ctrl+C to stop.")
        # SIGTERM (systemd, docker, a supervisor) stops as cleanly as Ctrl+C: the server finishes its loop, the
        # scheduler gives up its lease, the sandbox stops. The handler asks the server to stop rather than
        # raising in whatever the main thread was doing: raised while it started a request's thread, inside
        # socketserver, the interrupt became an error socketserver logged, and the service went on serving.
        server = None
        previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: _stop_soon(server))
        try:
            server = make_server(self.host, self.port, app, threaded=True, fd=listening.fileno())
            listening.close()  # (the server listens on its own copy of it)
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if server is not None:
                server.server_close()
            self.stop()
            self.say("stopped")


def _stop_soon(server) -> None:
    """Stop ``server``'s loop from a signal handler: ``shutdown`` waits for the loop, which runs in the thread
    the handler interrupted, so another thread asks. (No server yet: the process is still starting; stop it.)"""
    if server is None:
        raise KeyboardInterrupt
    threading.Thread(target=server.shutdown, name="wechat-pub-stop", daemon=True).start()
