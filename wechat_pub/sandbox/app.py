"""The sandbox's Flask app factory."""

from __future__ import annotations

import threading

from flask import Flask

from wechat_pub.sandbox import drafts, mass, material, publishing, tokens  # noqa: F401 (their endpoints join `api`)
from wechat_pub.sandbox.api import api
from wechat_pub.sandbox.datacube import datacube
from wechat_pub.sandbox.masspages import mass_pages
from wechat_pub.sandbox.pages import pages
from wechat_pub.sandbox.state import SandboxSettings, SandboxState


def create_sandbox_app(settings: SandboxSettings) -> Flask:
    app = Flask("wechat_pub.sandbox")
    app.url_map.strict_slashes = False
    sandbox_state = SandboxState(settings)
    app.extensions["wechat_pub.sandbox"] = sandbox_state
    app.register_blueprint(api)
    app.register_blueprint(datacube)
    app.register_blueprint(pages)
    app.register_blueprint(mass_pages)
    _resume_publish_jobs(app, sandbox_state)
    mass.resume_sends(app)
    return app


def _resume_publish_jobs(app: Flask, sandbox_state: SandboxState) -> None:
    """Publish jobs left running when the sandbox stopped finish after a restart, as WeChat's would."""
    from wechat_pub.sandbox.events import finish_publish

    base = sandbox_state.settings.public_url or "http://127.0.0.1"
    for job in sandbox_state.unfinished_publishes():
        threading.Thread(target=lambda pid=job["publish_id"]: finish_publish(sandbox_state, pid, base),
                         daemon=True).start()
