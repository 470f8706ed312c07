"""The web app factory: every account's webhook at its configured path, the team's console at ``/console/``,
and ``/healthz``.

    gunicorn -w 4 -b 0.0.0.0:8000 'wechat_pub.app:create_app()'       # the webhook alone
    gunicorn -w 4 -b 0.0.0.0:8000 'wechat_pub.app:create_service()'   # the webhook and the scheduler
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from wechat_pub.bot.webhook import init_app
from wechat_pub.config import Config, load_config
from wechat_pub.deployment import Deployment
from wechat_pub.logs import setup_logging
from wechat_pub.state.spoollines import folder_report

log = logging.getLogger(__name__)
CONSOLE_MAX_BODY = 20 * 1024 * 1024  # an uploaded newsletter, an article with its text


def create_app(config: Config | None = None, deployment: Deployment | None = None) -> Flask:
    deployment = deployment or Deployment(config or load_config())
    setup_logging(deployment.cfg.secrets(), logging.INFO)
    bots = {name: site.bot() for name, site in deployment.sites.items()}
    app = Flask("wechat_pub")
    app.config["MAX_CONTENT_LENGTH"] = CONSOLE_MAX_BODY  # the webhook's own, smaller limit is set per request
    app.extensions["wechat_pub.deployment"] = deployment
    init_app(app, bots, deployment.max_body, deployment.clock)
    hops = deployment.cfg["console.proxy_hops"]
    if hops:  # the client's address (sign-in limits, the audit) from the proxies' X-Forwarded-For, trusting only them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    _serve_console(app, deployment)

    @app.get("/healthz")
    def healthz():
        """200 while this process answers followers (from its local index, whatever else is away): "status" is
        "ok", or "degraded" naming the services that are down. With ?strict=1 a degraded process answers 503,
        for load balancers that should prefer hosts with every service."""
        searches = {name: _search_state(site) for name, site in deployment.sites.items()}
        latest = {name: issue for name, (issue, _) in searches.items()}
        services = deployment.services.health()
        degraded = [name for name, state in services.items() if state.startswith("down")]
        status = "degraded" if degraded else "ok"
        code = 503 if degraded and request.args.get("strict") else 200
        return jsonify(ok=True, status=status, degraded=degraded, **services, issues=latest[deployment.default.name],
                       accounts=latest, search_index={name: state for name, (_, state) in searches.items()},
                       query_log=folder_report(deployment.services.query_spool.folder)), code

    @app.errorhandler(413)
    def too_large(_error):
        return Response("request body too large", status=413, content_type="text/plain")

    @app.errorhandler(Exception)
    def unexpected(error):  # never a traceback to WeChat: log it, and say nothing it would show
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            return Response(error.description or error.name, status=error.code, content_type="text/plain")
        if request.path.startswith("/console/"):  # a person is waiting: say it failed (the log has why)
            from wechat_pub.console.errors import failed

            return failed()
        log.exception("webhook failed")
        return Response("success", status=200, content_type="text/plain")

    return app


def _serve_console(app: Flask, deployment: Deployment) -> None:
    """The console needs the state database (its users, sessions' key); while that is away at start the webhook
    still serves, and the console says why it is not there."""
    from wechat_pub.console import init_console
    from wechat_pub.console.headers import init_headers
    from wechat_pub.state.outage import is_outage

    init_headers(app, deployment.secure_cookies)  # also on the answer below, while the console is away
    try:
        init_console(app, deployment)
    except Exception as exc:
        if not is_outage(exc):
            raise
        log.error("the console is not served: the state database is away (%s); restart when it is back", exc)

        from wechat_pub.console.errors import init_away

        init_away(app)


def _search_state(site) -> tuple[int | None, str]:
    """(the newest issue followers find, the search index's state: "ready", "being made" (a host's first index,
    in the background; followers hear meanwhile that search is unavailable) or "unavailable")."""
    from wechat_pub.bot.search import IndexNotReady

    archive = site.archive()
    if archive.background and not archive.index_path.exists():  # (a health check never waits for it)
        archive.make_in_background()
        return None, "unavailable" if archive.failed else "being made"  # (the last attempt's outcome)
    try:
        latest = archive.latest()
    except IndexNotReady:
        return None, "being made"
    except Exception:  # no index, and nothing to build it from: the health report says why
        return None, "unavailable"
    return (latest.issue if latest else None), "ready"


def create_service(config: Config | None = None, deployment: Deployment | None = None) -> Flask:
    """The webhook plus a scheduler candidate, for gunicorn: every worker competes for the scheduler's
    lease and exactly one runs the schedule of every account.

        gunicorn -w 4 -b 127.0.0.1:8000 'wechat_pub.app:create_service()'
    """
    from wechat_pub.publish.scheduler import SchedulerService

    deployment = deployment or Deployment(config or load_config())
    app = create_app(deployment=deployment)
    scheduler = SchedulerService(deployment)
    scheduler.start()
    app.extensions["wechat_pub.scheduler"] = scheduler
    return app
