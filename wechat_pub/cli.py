"""The ``wechat-pub`` command. Thin commands named by verb; one error boundary in :func:`main`."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape as rx

from wechat_pub import __version__
from wechat_pub import model as m
from wechat_pub.config import Config, load_config
from wechat_pub.errors import ArticleError, ExitStatus, WechatPubError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class State:
    """What every command shares: the config, loaded once on first use."""

    def __init__(self, config_path: str | None, verbose: bool = False):
        self.config_path = config_path
        self.verbose = verbose
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from wechat_pub.logs import setup_logging

            import logging

            self._config = load_config(self.config_path)
            setup_logging(self._config.secrets(), logging.DEBUG if self.verbose else logging.WARNING)
        return self._config


pass_state = click.make_pass_decorator(State)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="PATH", help="Config file (default: ./config.toml).")
@click.option("--traceback", is_flag=True, help="Show the full traceback on errors.")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (HTTP calls included; secrets masked).")
@click.version_option(__version__, prog_name="wechat-pub")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, traceback: bool, verbose: bool) -> None:
    """Publish a bilingual newsletter to a WeChat official account."""
    ctx.obj = State(config_path, verbose)
    ctx.meta["traceback"] = traceback


# ---- articles -----------------------------------------------------------------------------------


def load_issue(state: State, path: str) -> m.Issue:
    """Parse an article; refuse it (listing every error) when it has errors."""
    from wechat_pub.source.article import read_article

    result = read_article(path, state.config["publisher.timezone"])
    if result.issue is None or result.errors:
        raise ArticleError(f"{path} has {len(result.errors)} error(s):", "Fix them and run the command again.",
                           result.errors)
    return result.issue


@cli.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--theme", help="Check with this theme instead of the configured one.")
@pass_state
def check_command(state: State, files: tuple[str, ...], theme: str | None) -> None:
    """Report every problem WeChat would reject or mangle. Exit 1 on errors; warnings alone pass."""
    import datetime as dt

    from wechat_pub.preflight import check_file
    from wechat_pub.render.options import options_from_config

    options = options_from_config(state.config, theme)
    now = dt.datetime.now(dt.timezone.utc)
    errors = warnings = 0
    for path in files:
        report = check_file(path, options, state.config["publisher.timezone"], now)
        errors += len(report.errors)
        warnings += len(report.warnings)
        print_report(report)
    colour = "red" if errors else ("yellow" if warnings else "green")
    out.print(f"[{colour}]{len(files)} file(s): {errors} error(s), {warnings} warning(s)[/]")
    if errors:
        raise SystemExit(ExitStatus.ERROR)


def print_report(report) -> None:
    status = "[red]✗[/]" if report.errors else ("[yellow]![/]" if report.warnings else "[green]✓[/]")
    out.print(f"{status} [bold]{rx(report.path)}[/]", markup=True)
    for problem in report.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        out.print(f"  [{colour}]{problem.severity}[/] {rx(str(problem.pos or report.path))}: "
                  f"{rx(problem.message)}", markup=True)
        if problem.hint:
            out.print(f"      [dim]→ {rx(problem.hint)}[/]", markup=True)
    if report.rendered:
        out.print(f"  {rx(report.rendered.split_summary)}")
        for article in report.rendered.articles:
            size = len(article.content)
            out.print(f"  article {article.part.index}: {rx(repr(article.title))} ({len(article.title)}/32), "
                      f"{size:,} characters, {len(article.content.encode()):,} bytes")


@cli.command("render")
@click.argument("file", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the draft/add payload instead of HTML.")
@click.option("--theme", help="Render with this theme instead of the configured one.")
@click.option("-o", "--output", type=click.Path(), help="Write to this file instead of standard output.")
@pass_state
def render_command(state: State, file: str, as_json: bool, theme: str | None, output: str | None) -> None:
    """Print the HTML exactly as it would be pushed (one document per article)."""
    from wechat_pub.render.options import options_from_config
    from wechat_pub.render.split import render_issue

    issue = load_issue(state, file)
    result = render_issue(issue, options_from_config(state.config, theme))
    if result.problems:
        raise ArticleError(f"{file} cannot be rendered within WeChat's limits:", "", result.problems)
    if as_json:
        text = json.dumps({"articles": [a.payload() for a in result.articles]}, ensure_ascii=False, indent=2)
    else:
        docs = []
        for article in result.articles:
            header = f"<!-- article {article.part.index}/{article.part.total}: {article.title} -->\n"
            docs.append(header + article.content)
        text = "\n".join(docs)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        click.echo(text)


@cli.command("preview")
@click.argument("file", type=click.Path())
@click.option("-o", "--output", type=click.Path(), help="Page to write (default: preview/<article>.html).")
@click.option("--serve", is_flag=True, help="Serve the page (rebuilt on every reload) instead of writing it.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=int)
@click.option("--theme", help="Preview with this theme instead of the configured one.")
@pass_state
def preview_command(state: State, file: str, output: str | None, serve: bool, host: str, port: int,
                    theme: str | None) -> None:
    """Show each article at phone width, light and dark, as a follower will see it."""
    from wechat_pub.preview import preview_page
    from wechat_pub.render.options import options_from_config

    options = options_from_config(state.config, theme)
    account = state.config["publisher.name_zh"] or state.config["publisher.name_en"]
    if serve:
        from flask import Flask

        app = Flask("wechat_pub.preview")

        @app.get("/")
        def page():  # re-read the article on every reload, so edits show at once
            try:
                return preview_page(load_issue(state, file), options, account)
            except WechatPubError as exc:  # show what to fix, in the page, and keep serving
                from html import escape

                return f"<!doctype html><meta charset=utf-8><pre>{escape(str(exc))}</pre>", 422

        load_issue(state, file)  # fail now, not on the first request, if the article is broken
        err.print(f"Previewing {file} at http://{host}:{port}/ (Ctrl+C to stop)")
        app.run(host=host, port=port)
        return
    issue = load_issue(state, file)
    target = Path(output or Path("preview") / (Path(file).stem + ".html"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(preview_page(issue, options, account), encoding="utf-8")
    out.print(f"wrote {target} (open it in a browser)")


@cli.command("import")
@click.argument("file", type=click.Path())
@click.option("-o", "--output", "out_dir", type=click.Path(), help="Folder to write to (default: paths.articles).")
@click.option("--force", is_flag=True, help="Overwrite an existing article file.")
@pass_state
def import_command(state: State, file: str, out_dir: str | None, force: bool) -> None:
    """Import a plain-text newsletter (text taken from its PDF) as an article file."""
    from wechat_pub.errors import NewsletterImportError
    from wechat_pub.source.plaintext import import_plaintext
    from wechat_pub.source.writer import write_article

    cfg = state.config
    try:
        with open(file, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise NewsletterImportError(f"Cannot read {file}: {getattr(exc, 'strerror', None) or exc}.",
                                    "Give a UTF-8 text file (e.g. from 'pdftotext -layout issue.pdf').") from None
    brand = [cfg[f"publisher.{k}"] for k in ("name_zh", "name_en", "newsletter_zh", "newsletter_en")]
    footer = [cfg["publisher.disclaimer_zh"], cfg["publisher.disclaimer_en"], *cfg["publisher.contact"]]
    result = import_plaintext(file, text, [b for b in brand if b], [f for f in footer if f])
    if result.issue is None:
        raise NewsletterImportError(f"{file} could not be imported:", "\n".join(str(p) for p in result.problems))
    folder = Path(out_dir) if out_dir else cfg.resolve_path("paths.articles")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"issue-{result.issue.number:03d}.md"
    if target.exists() and not force:
        raise NewsletterImportError(f"{target} already exists.", "Use --force to overwrite it, or -o to write elsewhere.")
    target.write_text(write_article(result.issue, str(folder)), encoding="utf-8")
    issue = result.issue
    out.print(f"wrote [bold]{target}[/]: issue {issue.number} ({issue.date}), {len(issue.sections)} section(s), "
              f"{len(issue.items)} item(s)")
    if result.footer_lines:
        out.print(f"  {result.footer_lines} line(s) matched the publisher's standing masthead/footer from config")
    if result.lost_links:
        out.print(f"  [yellow]{result.lost_links} item(s) had a (More)/(查看更多) link whose address the text "
                  "does not carry:[/] add a 'Source: \\[name](https://…)' line to each")
    for problem in result.problems:
        out.print(f"  [yellow]{rx(str(problem))}[/]")
    if result.notes:
        out.print(f"  [yellow]{len(result.notes)} line(s) could not be placed[/]; they are kept under "
                  "'import_notes' in the front matter:")
        for note in result.notes:
            out.print(f"    {rx(note[:150])}")
    out.print(f"next: review it, then run [bold]wechat-pub check {target}[/]")


# ---- pushing ------------------------------------------------------------------------------------


def brand_of(cfg: Config) -> str:
    names = [cfg["publisher.newsletter_zh"], cfg["publisher.newsletter_en"]]
    return " · ".join(n for n in names if n) or " · ".join(n for n in (cfg["publisher.name_zh"],
                                                                       cfg["publisher.name_en"]) if n)


@cli.command("push")
@click.argument("file", type=click.Path())
@click.option("--publish", is_flag=True, help="Also publish the draft (freepublish/submit).")
@click.option("--theme", help="Render with this theme instead of the configured one.")
@pass_state
def push_command(state: State, file: str, publish: bool, theme: str | None) -> None:
    """Push an issue into the draft box: images, cover, draft/add or draft/update; never twice."""
    from wechat_pub.publish.account import connect
    from wechat_pub.publish.push import Pusher
    from wechat_pub.render.options import options_from_config

    cfg = state.config
    issue = load_issue(state, file)
    options = options_from_config(cfg, theme)
    account = connect(cfg)
    try:
        pusher = Pusher(account, options, brand_of(cfg), progress=lambda message: err.print(f"  {rx(message)}"))
        outcome = pusher.push(issue, publish=publish)
        print_push(outcome, account)
    finally:
        account.close()


def print_push(outcome, account) -> None:
    verb = {"created": "created draft", "updated": "updated draft", "unchanged": "unchanged; draft",
            "replaced": "replaced the draft with", "recreated": "created new draft",
            "published-already": "already published from draft"}[outcome.action]
    out.print(f"issue {outcome.issue} → {account.name}: {verb} [bold]{outcome.media_id}[/] "
              f"({outcome.articles} article(s))", markup=True)
    out.print(f"  images: {outcome.uploaded} uploaded, {outcome.cached} from the upload cache; cover: {outcome.cover}")
    for note in outcome.notes:
        out.print(f"  [yellow]note:[/] {rx(note)}", markup=True)
    if outcome.publish_id:
        out.print(f"  publish job {outcome.publish_id}: " + (", ".join(outcome.article_urls) if outcome.article_urls
                                                              else "publishing; `wechat-pub status` shows the result"))
    if account.sandbox is not None and not outcome.publish_id and outcome.action != "published-already":
        out.print(f"  draft page: {account.sandbox.url}/sandbox/drafts/{outcome.media_id}")
        if account.sandbox.server is not None:
            out.print("  (the sandbox ran for this command only; `wechat-pub sandbox` serves that page)")


@cli.command("status")
@pass_state
def status_command(state: State) -> None:
    """Every issue and where it stands: not pushed, draft, publishing, published, failed."""
    from wechat_pub.publish.status import issue_statuses

    colours = {"published": "green", "draft": "cyan", "publishing": "yellow", "failed": "red", "invalid": "red"}
    rows = issue_statuses(state.config)
    if not rows:
        out.print(f"no articles in {state.config.resolve_path('paths.articles')}")
    for row in rows:
        colour = colours.get(row.state, "default")
        out.print(f"{row.issue:>4}  [{colour}]{row.state:<10}[/] {rx(row.path)}", markup=True)
        if row.details:
            out.print(f"      {rx(row.details)}", markup=True)


@cli.command("sandbox")
@click.option("--host", help="Address to serve on (default: sandbox.host).")
@click.option("--port", type=int, help="Port to serve on (default: sandbox.port).")
@click.option("--fault", "faults", multiple=True, metavar="ENDPOINT=KIND[:TIMES]",
              help="Inject a fault, e.g. draft/add=busy:2 or media/uploadimg=drop (kinds: expired_token, "
                   "invalid_token, busy, quota, minute_quota, slow, drop, drop_after, errcode:N).")
@pass_state
def sandbox_command(state: State, host: str | None, port: int | None, faults: tuple[str, ...]) -> None:
    """Serve the built-in emulator of the WeChat API and its draft pages."""
    from wechat_pub.publish.account import sandbox_settings
    from wechat_pub.sandbox import create_sandbox_app

    cfg = state.config
    host, port = host or cfg["sandbox.host"], port or cfg["sandbox.port"]
    settings = sandbox_settings(cfg)
    settings.public_url = f"http://{host}:{port}"
    app = create_sandbox_app(settings)
    for fault in faults:
        app.extensions["wechat_pub.sandbox"].add_fault(*parse_fault(fault))
    err.print(f"Sandbox of the WeChat API at {settings.public_url}/cgi-bin/ (drafts: {settings.public_url}/sandbox/), "
              f"state in {settings.db_path}. Ctrl+C to stop.")
    app.run(host=host, port=port, threaded=True)


# ---- the schedule --------------------------------------------------------------------------------


@cli.group("schedule")
def schedule_group() -> None:
    """When issues are pushed: set, move, cancel and list publish times (kept in each article)."""


def _set_time(state: State, file: str, at: str | None) -> None:
    from wechat_pub.publish.schedule import set_publish_at

    issue = load_issue(state, file)  # refuse a broken article before touching it
    normalised = set_publish_at(file, at, state.config["publisher.timezone"])
    if normalised:
        out.print(f"issue {issue.number} ({rx(file)}) will be pushed at {normalised}")
        out.print("  `wechat-pub run` picks it up within schedule.sync_seconds; `wechat-pub schedule list` shows it")
    else:
        out.print(f"issue {issue.number} ({rx(file)}) is no longer scheduled")


@schedule_group.command("add")
@click.argument("file", type=click.Path())
@click.option("--at", "at", required=True, help='When, e.g. "2026-12-02 09:00" (publisher.timezone) or with +08:00.')
@pass_state
def schedule_add(state: State, file: str, at: str) -> None:
    """Schedule an issue: writes publish_at into its front matter."""
    _set_time(state, file, at)


@schedule_group.command("move")
@click.argument("file", type=click.Path())
@click.option("--at", "at", required=True, help="The new time.")
@pass_state
def schedule_move(state: State, file: str, at: str) -> None:
    """Move a scheduled issue to another time."""
    _set_time(state, file, at)


@schedule_group.command("cancel")
@click.argument("file", type=click.Path())
@pass_state
def schedule_cancel(state: State, file: str) -> None:
    """Unschedule an issue: removes publish_at from its front matter."""
    _set_time(state, file, None)


@schedule_group.command("list")
@pass_state
def schedule_list(state: State) -> None:
    """Every scheduled issue, its time, and what happened."""
    from wechat_pub.publish.status import schedule_rows

    rows = schedule_rows(state.config)
    if not rows:
        out.print("nothing scheduled (add one: wechat-pub schedule add FILE --at \"2026-12-02 09:00\")")
    for row in rows:
        out.print(f"{row.issue:>4}  {row.when:<26} {row.state:<10} {rx(row.path)}")
        if row.details:
            out.print(f"      {rx(row.details)}")


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@pass_state
def run_command(state: State, host: str, port: int) -> None:
    """The service: the webhook and the scheduler in one process (the sandbox too, without credentials)."""
    from wechat_pub.service import Service

    service = Service(state.config, host, port, say=lambda message: err.print(rx(message)))
    service.run()


def parse_fault(text: str) -> tuple[str, str, int]:
    """'draft/add=busy:2' -> ('draft/add', 'busy', 2); 'x=errcode:40164' -> ('x', 'errcode:40164', 1)."""
    endpoint, _, spec = text.partition("=")
    parts = spec.split(":")
    times = 1
    if len(parts) > (2 if parts[0] == "errcode" else 1):
        last = parts.pop()
        times = int(last) if last.isdigit() else 0
    if not endpoint or not parts[0] or times < 1:
        raise click.BadParameter(f"{text!r}: write ENDPOINT=KIND[:TIMES], e.g. draft/add=busy:2", param_hint="--fault")
    return endpoint, ":".join(parts), times


# ---- the webhook ---------------------------------------------------------------------------------


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@pass_state
def serve_command(state: State, host: str, port: int) -> None:
    """Serve the webhook (development server; use gunicorn in production, see the README)."""
    from wechat_pub.app import create_app

    cfg = state.config
    app = create_app(cfg)
    if not cfg["webhook.token"]:
        err.print("[yellow]warning:[/] webhook.token is empty: set WECHAT_PUB_WEBHOOK__TOKEN to the Token of "
                  "服务器配置, or WeChat's signatures will not match.", markup=True)
    err.print(f"Webhook at http://{host}:{port}{cfg['webhook.path']} ({app.extensions['wechat_pub.bot'].settings.mode} "
              f"mode), health at /healthz. Ctrl+C to stop.")
    app.run(host=host, port=port, threaded=True)


@cli.command("ask")
@click.argument("query")
@pass_state
def ask_command(state: State, query: str) -> None:
    """Print the reply a follower sending QUERY would get."""
    from wechat_pub.app import build_replier

    reply = build_replier(state.config).answer(query)
    if reply.kind == "news":
        click.echo(f"[news card] {reply.title}\n{reply.description}\n{reply.url}\n{reply.pic_url}")
    else:
        click.echo(reply.text)


@cli.command("simulate")
@click.argument("text")
@click.option("--url", default="http://127.0.0.1:8000/wechat", show_default=True, help="The running webhook.")
@click.option("--mode", type=click.Choice(["plain", "compat", "safe"]), help="Default: webhook.mode.")
@click.option("--event", help="Send this event (subscribe, CLICK) instead of a text message; TEXT is its key.")
@pass_state
def simulate_command(state: State, text: str, url: str, mode: str | None, event: str | None) -> None:
    """Send a correctly signed (and encrypted) message to a running webhook, as WeChat does, and print
    the decrypted reply."""
    from wechat_pub.bot.simulate import simulate

    cfg = state.config
    result = simulate(cfg, url, text, mode, event)
    err.print(f"HTTP {result.status} in {result.seconds * 1000:.0f} ms ({result.mode} mode)")
    click.echo(result.shown)
    if result.status != 200:
        raise SystemExit(ExitStatus.ERROR)


@cli.command("queries")
@click.option("--days", default=30, show_default=True, type=int, help="How far back to look.")
@click.option("--limit", default=15, show_default=True, type=int)
@pass_state
def queries_command(state: State, days: int, limit: int) -> None:
    """The followers' top queries, and those that found nothing."""
    import time as _time

    from wechat_pub.bot.records import QueryLog
    from wechat_pub.store import Store

    query_log = QueryLog(Store(state.config.database_url()))
    since = _time.time() - days * 86400
    for title, rows in (("top queries", query_log.top(limit, since)),
                        ("queries that found nothing", query_log.top(limit, since, unanswered=True))):
        out.print(f"[bold]{title}[/] (last {days} days)", markup=True)
        if not rows:
            out.print("  (none)")
        for query, count, followers in rows:
            out.print(f"  {count:>5}×  {rx(query)}  [dim]({followers} follower(s))[/]", markup=True)


# ---- config -------------------------------------------------------------------------------------


@cli.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("show")
@pass_state
def config_show(state: State) -> None:
    """Print every setting in force (secrets hidden) and where the config came from."""
    cfg = state.config
    out.print(f"# config file: {cfg.path or '(none; defaults and environment)'}")
    for name, value in cfg.redacted().items():
        out.print(f"{name} = {json.dumps(value, ensure_ascii=False)}")


# ---- the error boundary -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: user errors print one clear message and exit with their status."""
    show_traceback = "--traceback" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="wechat-pub", standalone_mode=False)
    except click.exceptions.Abort:
        err.print("Aborted.")
        raise SystemExit(ExitStatus.ERROR) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(ExitStatus.USAGE) from None
    except WechatPubError as exc:
        if show_traceback:
            traceback.print_exc()
        err.print(f"[red]Error:[/] {rx(str(exc))}", markup=True)
        raise SystemExit(exc.exit_status) from None
    except KeyboardInterrupt:
        err.print("Interrupted.")
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except Exception as exc:  # a bug: say so plainly, and how to get the details
        if show_traceback:
            traceback.print_exc()
        else:
            err.print(f"[red]Internal error:[/] {type(exc).__name__}: {rx(str(exc))}\n"
                      "Run again with --traceback for details, and report it.", markup=True)
        raise SystemExit(ExitStatus.ERROR) from None
    raise SystemExit(ExitStatus.OK)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
