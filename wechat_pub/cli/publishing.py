"""Commands for getting an issue out: push it, see where every issue stands, schedule it, run the service,
serve the sandbox."""

from __future__ import annotations

import click

from wechat_pub.cli.context import pass_state, with_site
from wechat_pub.cli.output import err, out, print_push, print_rows, rx

STATE_COLOURS = {"published": "green", "draft": "cyan", "publishing": "yellow", "failed": "red", "invalid": "red",
                 "missed": "red", "done": "green", "scheduled": "cyan", "due": "yellow", "retrying": "yellow"}


@click.command("push")
@click.argument("file", type=click.Path())
@click.option("--publish", is_flag=True, help="Also publish the draft (freepublish/submit).")
@click.option("--theme", help="Render with this theme instead of the configured one.")
@click.option("--force", is_flag=True, help="Replace the draft even if it was edited in WeChat since the last push "
                                            "(WeChat's version is saved under state/wechat-drafts/ first).")
@with_site
def push_command(site, file: str, publish: bool, theme: str | None, force: bool) -> None:
    """Push an issue into the draft box: images, cover, draft/add or draft/update; never twice."""
    from wechat_pub.publish.actions import issue_of

    issue = issue_of(site, file)
    report_sync(site)
    with site.connect() as account:
        pusher = site.pusher(account, progress=lambda message: err.print(f"  {rx(message)}"), theme=theme)
        sandbox = account.sandbox
        print_push(pusher.push(issue, publish=publish, force=force), account.name, sandbox.url if sandbox else "",
                   started_here=sandbox is not None and sandbox.server is not None)
    if publish:  # published by hand: a pending schedule would do it again (issue 23)
        from wechat_pub.publish.actions import unschedule_done

        note = unschedule_done(site, file, "published by hand")
        if note:
            out.print(f"  {rx(note)}")


@click.command("status")
@with_site
def status_command(site) -> None:
    """Every issue and where it stands: not pushed, draft, publishing, published, failed."""
    from wechat_pub.publish.status import issue_statuses

    report_sync(site)
    rows = issue_statuses(site)
    if not rows:
        out.print(f"no articles in {site.articles.path}")
        if site.cfg.path is None and not site.articles.path.exists():  # most likely not the project's folder
            err.print("[yellow]note:[/] there is no config.toml here either: run wechat-pub in your project's folder "
                      "(or set WECHAT_PUB_CONFIG to its config.toml)", markup=True)
    print_rows([(row.issue, row.state, row.path, row.details) for row in rows], STATE_COLOURS)


# ---- the schedule --------------------------------------------------------------------------------


@click.group("schedule")
def schedule_group() -> None:
    """When issues are pushed: set, move, cancel and list publish times (kept in each article)."""


def _set_time(site, file: str, at: str | None) -> None:
    from wechat_pub.publish.actions import schedule
    from wechat_pub.publish.deliver import delivery_of

    done = schedule(site, file, at)  # refuses a broken article, a file elsewhere, a time passed: file untouched
    if done.publish_at:
        plan = delivery_of(site, done.issue).at(done.publish_at, site.timezone)
        out.print(f"issue {done.issue.number} ({rx(file)}): {plan} ({done.publish_at})")
        out.print("  `wechat-pub run` picks it up within schedule.sync_seconds; `wechat-pub schedule list` shows it")
        from wechat_pub.preflight import image_errors

        for problem in image_errors(done.issue, site.render_options()):  # its text is fine, its images are not
            err.print(f"[yellow]warning:[/] {rx(problem)}: it will be blocked at its time unless this is fixed "
                      "(`wechat-pub check`)", markup=True)
    else:
        out.print(f"issue {done.issue.number} ({rx(file)}) is no longer scheduled")


@schedule_group.command("add")
@click.argument("file", type=click.Path())
@click.option("--at", "at", required=True, help='When, e.g. "2026-12-02 09:00" (publisher.timezone) or with +08:00.')
@with_site
def schedule_add(site, file: str, at: str) -> None:
    """Schedule an issue: writes publish_at into its front matter."""
    _set_time(site, file, at)


@schedule_group.command("move")
@click.argument("file", type=click.Path())
@click.option("--at", "at", required=True, help="The new time.")
@with_site
def schedule_move(site, file: str, at: str) -> None:
    """Move a scheduled issue to another time."""
    _set_time(site, file, at)


@schedule_group.command("cancel")
@click.argument("file", type=click.Path())
@with_site
def schedule_cancel(site, file: str) -> None:
    """Unschedule an issue: removes publish_at from its front matter."""
    _set_time(site, file, None)


@schedule_group.command("list")
@with_site
def schedule_list(site) -> None:
    """Every scheduled issue, its time, and what happened."""
    from wechat_pub.publish.status import schedule_rows

    report_sync(site)
    if site.schedule.note:
        err.print(f"[yellow]note:[/] {rx(site.schedule.note)}", markup=True)
    rows = schedule_rows(site)
    if not rows:
        out.print(f"nothing scheduled (add one: wechat-pub schedule add FILE --at \"{_tomorrow_at_nine(site)}\")")
    for row in rows:
        out.print(f"{row.issue:>4}  {row.when:<26} {row.state:<10} {rx(row.path)}")
        if row.plan:
            out.print(f"      {rx(row.plan)}")
        if row.details:
            out.print(f"      {rx(row.details)}")


def _tomorrow_at_nine(site) -> str:
    """An example time that has not passed: tomorrow at 09:00 in the publisher's zone (by the site's clock)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    tomorrow = dt.datetime.fromtimestamp(site.clock.time(), ZoneInfo(site.timezone)).date() + dt.timedelta(days=1)
    return f"{tomorrow.isoformat()} 09:00"


@click.command("mark-published")
@click.argument("file", type=click.Path())
@click.option("--url", required=True, help="The published article's link (https://mp.weixin.qq.com/s/…).")
@with_site
def mark_published_command(site, file: str, url: str) -> None:
    """Record that an issue was published by hand in mp.weixin.qq.com (followers can then find it)."""
    from wechat_pub.publish.actions import mark_published, unschedule_done

    issue = mark_published(site, file, url)
    out.print(f"issue {issue.number} is published at {url}; followers now find it")
    note = unschedule_done(site, file, "published by hand")
    if note:
        out.print(f"  {rx(note)}")


@click.command("sync")
@with_site
def sync_command(site) -> None:
    """Bring this host's articles folder and the shared database into step, and say what changed."""
    report = site.library.sync(force=True)
    for line in report.lines():
        out.print(rx(line))
    if not report.lines():
        out.print(f"{site.articles.path} and the database agree")


def report_sync(site) -> None:
    """Sync the folder with the database first (every host sees the same issues); say what needs a person."""
    report = site.library.sync()
    for line in report.conflicts + report.skipped:
        err.print(f"[yellow]note:[/] {rx(line)}", markup=True)


# ---- the service and the sandbox ---------------------------------------------------------------------


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@pass_state
def run_command(state, host: str, port: int) -> None:
    """The service: every account's webhook and the scheduler in one process (the sandbox too, for accounts
    without credentials)."""
    from wechat_pub.service import Service

    Service(state.deployment, host, port, say=lambda message: err.print(rx(message))).run()


@click.command("sandbox")
@click.option("--host", help="Address to serve on (default: sandbox.host).")
@click.option("--port", type=int, help="Port to serve on (default: sandbox.port).")
@click.option("--fault", "faults", multiple=True, metavar="ENDPOINT=KIND[:TIMES]",
              help="Inject a fault, e.g. draft/add=busy:2 or media/uploadimg=drop (kinds: expired_token, "
                   "invalid_token, busy, quota, minute_quota, slow, drop, drop_after, errcode:N).")
@pass_state
def sandbox_command(state, host: str | None, port: int | None, faults: tuple[str, ...]) -> None:
    """Serve the built-in emulator of the WeChat API (every account without credentials) and its draft pages."""
    from wechat_pub.sandbox import create_sandbox_app
    from wechat_pub.sandbox.faults import parse_fault

    deployment = state.deployment
    parsed = [parse_fault(fault) for fault in faults]
    default_host, default_port = deployment.sandbox_address
    host, port = host or default_host, port or default_port
    settings = deployment.sandbox_settings()
    settings.public_url = f"http://{host}:{port}"
    app = create_sandbox_app(settings)
    for fault in parsed:
        app.extensions["wechat_pub.sandbox"].add_fault(*fault)
    appids = ", ".join(account.appid for account in settings.accounts)
    err.print(f"Sandbox of the WeChat API at {settings.public_url}/cgi-bin/ (accounts {appids}; drafts: "
              f"{settings.public_url}/sandbox/), state in {settings.db_path}. Ctrl+C to stop.")
    app.run(host=host, port=port, threaded=True)


COMMANDS = (push_command, status_command, schedule_group, mark_published_command, sync_command, run_command,
            sandbox_command)
