"""`wechat-pub run`: the webhook and the scheduler in one process, on the embedded defaults (the sandbox,
SQLite) when no WeChat credentials are configured."""

from __future__ import annotations

import dataclasses
import signal

from wechat_pub.config import Config


class Service:
    def __init__(self, cfg: Config, host: str, port: int, say=print):
        self.cfg, self.host, self.port, self.say = cfg, host, port, say
        self.sandbox = None
        self.scheduler = None

    def start(self):
        """Start the sandbox (if needed) and the scheduler; return the web app to serve."""
        from wechat_pub.app import create_app
        from wechat_pub.publish.account import sandbox_settings
        from wechat_pub.publish.scheduler import SchedulerService
        from wechat_pub.sandbox.server import ensure_sandbox

        if self.cfg.uses_sandbox:
            settings = sandbox_settings(self.cfg)
            if not settings.webhook_url:  # publish events come back to this very webhook
                settings = dataclasses.replace(settings, webhook_url=f"http://{self.host}:{self.port}"
                                                                     f"{self.cfg['webhook.path']}",
                                               webhook_token=self.cfg["webhook.token"],
                                               webhook_aes_key=self.cfg["webhook.aes_key"])
            self.sandbox = ensure_sandbox(settings, self.cfg["sandbox.host"], self.cfg["sandbox.port"])
            self.say(f"no WeChat credentials: using the sandbox at {self.sandbox.url}/sandbox/ "
                     f"({'started here' if self.sandbox.server else 'already running'})")
        app = create_app(self.cfg)
        if not self.cfg["webhook.token"]:
            self.say("note: webhook.token is empty (fine with the sandbox; set WECHAT_PUB_WEBHOOK__TOKEN for WeChat)")
        self.scheduler = SchedulerService(self.cfg, on_event=lambda kind, detail: self.say(f"schedule: {kind} {detail}"))
        self.scheduler.start()
        return app

    def stop(self) -> None:
        if self.scheduler:
            self.scheduler.stop()
        if self.sandbox:
            self.sandbox.stop()

    def run(self) -> None:
        app = self.start()
        self.say(f"webhook at http://{self.host}:{self.port}{self.cfg['webhook.path']}; scheduler running "
                 f"(articles in {self.cfg.resolve_path('paths.articles')}). Ctrl+C to stop.")
        # SIGTERM (systemd, docker, a supervisor) stops as cleanly as Ctrl+C: the server unwinds, the
        # scheduler gives up its lease, the sandbox stops.
        previous = signal.signal(signal.SIGTERM, _exit_quietly)
        try:
            app.run(host=self.host, port=self.port, threaded=True)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.stop()
            self.say("stopped")


def _exit_quietly(_signum, _frame) -> None:
    raise KeyboardInterrupt
