"""Commands for the followers' side: serve the webhook, ask it, be WeChat to it, read what followers asked."""

from __future__ import annotations

import click

from wechat_pub.cli.context import pass_state, with_site
from wechat_pub.cli.output import err, out, rx
from wechat_pub.errors import ExitStatus


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@pass_state
def serve_command(state, host: str, port: int) -> None:
    """Serve every account's webhook (development server; use gunicorn in production, see the README)."""
    from wechat_pub.app import create_app

    app = create_app(deployment=state.deployment)
    for name, bot in app.extensions["wechat_pub.bots"].items():
        if not bot.settings.token:
            err.print(f"[yellow]warning:[/] webhook.token of account {name!r} is empty: set WECHAT_PUB_WEBHOOK__TOKEN "
                      "to the Token of 服务器配置, or WeChat's signatures will not match.", markup=True)
        err.print(f"Webhook of account {name} at http://{host}:{port}{bot.settings.path} ({bot.settings.mode} mode)")
    err.print("Health at /healthz. Ctrl+C to stop.")
    app.run(host=host, port=port, threaded=True)


@click.command("ask")
@click.argument("query")
@click.option("--all", "everything", is_flag=True,
              help="Search every issue, unpublished ones too (followers only find what webhook.search_scope allows).")
@with_site
def ask_command(site, query: str, everything: bool) -> None:
    """Print the reply a follower sending QUERY would get."""
    reply = site.replier("all" if everything else None).answer(query)
    if reply.kind == "news":
        click.echo(f"[news card] {reply.title}\n{reply.description}\n{reply.url}\n{reply.pic_url}")
    else:
        click.echo(reply.text)
    if not reply.matches and not everything and site.replier("all").answer(query).matches:
        err.print("note: issues not published yet match it (followers find only what webhook.search_scope allows: "
                  f"{site.cfg['webhook.search_scope']}); `wechat-pub ask --all` shows them")


@click.command("index")
@click.option("--scope", type=click.Choice(["published", "scheduled", "all"]),
              help="Which issues (default: webhook.search_scope).")
@click.option("--rebuild", is_flag=True, help="Build it afresh instead of updating the issues that changed.")
@with_site
def index_command(site, scope: str | None, rebuild: bool) -> None:
    """Bring the search index of followers' queries up to date (the webhook keeps it so by itself)."""
    import time

    started = time.perf_counter()
    archive = site.archive(scope)
    changed = archive.refresh(force=rebuild)
    state = "updated" if changed else "already up to date"
    click.echo(f"search index {archive.index_path.name}: {state} ({time.perf_counter() - started:.1f} s)")


@click.command("move-queries", hidden=True)
@click.option("--idle-exit", default=30.0, show_default=True, help="End after this many seconds with nothing to move.")
@pass_state
def move_queries_command(state, idle_exit: float) -> None:
    """Move the host's spools of followers' queries into the database, at the lowest priority (the webhook's
    workers start it under load: wechat_pub/state/querymover.py)."""
    from wechat_pub.state import querymover

    querymover.run(state.deployment.services.query_spool, idle_exit)


@click.command("simulate")
@click.argument("text")
@click.option("--url", default="http://127.0.0.1:8000/wechat", show_default=True, help="The running webhook.")
@click.option("--mode", type=click.Choice(["plain", "compat", "safe"]), help="Default: webhook.mode.")
@click.option("--event", help="Send this event (subscribe, CLICK) instead of a text message; TEXT is its key.")
@with_site
def simulate_command(site, text: str, url: str, mode: str | None, event: str | None) -> None:
    """Send a correctly signed (and encrypted) message to a running webhook, as WeChat does, and print
    the decrypted reply."""
    from wechat_pub.bot.simulate import simulate

    result = simulate(site.webhook_settings(), url, text, mode, event)
    err.print(f"HTTP {result.status} in {result.seconds * 1000:.0f} ms ({result.mode} mode). A simulated message is "
              "answered as a follower's is, and not counted in what followers asked.")
    click.echo(result.shown)
    if result.status != 200:
        raise SystemExit(ExitStatus.ERROR)


@click.command("queries")
@click.option("--days", default=30, show_default=True, type=int, help="How far back to look.")
@click.option("--limit", default=15, show_default=True, type=int)
@click.option("--aliases", "aliases", is_flag=True,
              help="Only the queries that found nothing but are close to the archive's words: other names to confirm "
                   "in webhook.aliases.")
@with_site
def queries_command(site, days: int, limit: int, aliases: bool) -> None:
    """The followers' top queries, and those that found nothing."""
    since = site.clock.time() - days * 86400
    query_log = site.query_log
    if aliases:
        _alias_candidates(site, query_log.top(limit, since, unanswered=True), days)
        return
    for title, rows in (("top queries", query_log.top(limit, since)),
                        ("queries that found nothing", query_log.top(limit, since, unanswered=True))):
        out.print(f"[bold]{title}[/] (last {days} days)", markup=True)
        if not rows:
            out.print("  (none)")
        for query, count, followers in rows:
            out.print(f"  {count:>5}×  {rx(query)}  [dim]({followers} follower(s))[/]", markup=True)


def _alias_candidates(site, unanswered, days: int) -> None:
    from wechat_pub.bot.aliases import alias_candidates

    out.print(f"[bold]queries that found nothing, close to the archive's words[/] (last {days} days)", markup=True)
    found = alias_candidates(site.archive(), unanswered)
    if not found:
        out.print("  (none)")
    for query, count, close in found:
        out.print(f"  {count:>5}×  {rx(query)}  →  {rx(' / '.join(close))}")
    if found:
        out.print("To make one an other name, add it to webhook.aliases, e.g. aliases = [\"发改委/国家发展改革委/NDRC\"].",
                  markup=False)


COMMANDS = (serve_command, ask_command, index_command, move_queries_command, simulate_command, queries_command)
