"""Commands for writing an issue: import a newsletter, check it, render it, preview it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from wechat_pub.cli.context import with_site
from wechat_pub.cli.output import err, out, print_report, rx
from wechat_pub.errors import ArticleError, ExitStatus


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--theme", help="Check with this theme instead of the configured one.")
@click.option("--fix", is_flag=True, help="First make ASCII punctuation in Chinese text full-width, in the file "
                                          "(the file before is kept under .backups/).")
@with_site
def check_command(site, files: tuple[str, ...], theme: str | None, fix: bool) -> None:
    """Report every problem WeChat would reject or mangle. Exit 1 on errors; warnings alone pass."""
    import datetime as dt

    from wechat_pub.preflight import check_file
    from wechat_pub.publish.actions import folder_problems

    options = site.render_options(theme)
    now = dt.datetime.fromtimestamp(site.clock.time(), dt.timezone.utc)
    measured = site.measured_limits
    errors = warnings = 0
    for path in files:
        if fix:
            tidy(site, Path(path))
        report = check_file(path, options, site.timezone, now, measured)
        report.problems[:0] = folder_problems(site, path, report.issue)
        errors += len(report.errors)
        warnings += len(report.warnings)
        print_report(report)
    colour = "red" if errors else ("yellow" if warnings else "green")
    out.print(f"[{colour}]{len(files)} file(s): {errors} error(s), {warnings} warning(s)[/]")
    if errors:
        raise SystemExit(ExitStatus.ERROR)


def tidy(site, path: Path) -> None:
    from wechat_pub.source.tidy import tidy_chinese

    if not path.is_file():
        return  # check reports the missing file
    tidied = tidy_chinese(path, site.articles.path)
    if not tidied.lines:
        out.print(f"{path}: Chinese punctuation already full-width")
        return
    marks = ", ".join(f"{count} {mark}" for mark, count in sorted(tidied.changes.items()))
    out.print(f"{path}: made full-width in Chinese text: {marks} (line(s) {', '.join(map(str, tidied.lines))}); "
              f"the file before is kept as {rx(str(tidied.backup))}")


@click.command("render")
@click.argument("file", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the draft/add payload instead of HTML.")
@click.option("--theme", help="Render with this theme instead of the configured one.")
@click.option("-o", "--output", type=click.Path(), help="Write to this file instead of standard output.")
@with_site
def render_command(site, file: str, as_json: bool, theme: str | None, output: str | None) -> None:
    """Print the HTML exactly as it would be pushed (one document per article). Images already uploaded show
    their WeChat address; the others a placeholder naming the file (wechat-pub-upload:images/chart.png)."""
    from dataclasses import replace

    from wechat_pub.publish.planned import planned_images
    from wechat_pub.render.split import render_issue
    from wechat_pub.source.article import load_issue

    issue = load_issue(file, site.timezone)
    options = site.render_options(theme)
    planned = planned_images(issue, options, site.uploads)
    result = render_issue(issue, replace(options, images=planned.refs))
    if planned.refs:
        err.print(f"{len(planned.refs)} image(s): {len(planned.refs) - planned.to_upload} already uploaded to WeChat, "
                  f"{planned.to_upload} a push would upload (shown as wechat-pub-upload:FILE); the cover is chosen "
                  "and uploaded at push time (thumb_media_id).")
    if result.problems:
        raise ArticleError(f"{file} cannot be rendered within WeChat's limits:", "", result.problems)
    if as_json:
        text = json.dumps({"articles": [a.payload() for a in result.articles]}, ensure_ascii=False, indent=2)
    else:
        text = "\n".join(f"<!-- article {a.part.index}/{a.part.total}: {a.title} -->\n{a.content}"
                         for a in result.articles)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        click.echo(text)


def _preview_on_phone(site, file: str, wechat_id: str) -> None:
    from wechat_pub.publish.actions import issue_of
    from wechat_pub.publish.phone import preview_on_phone

    issue = issue_of(site, file)
    with site.connect() as account:
        left = preview_on_phone(site, account, issue, wechat_id, by="cli",
                                progress=lambda message: err.print(f"  {rx(message)}"))
    out.print(f"issue {issue.number} is on its way to {wechat_id}'s phone (WeChat sends it from the account); "
              f"{left} phone preview(s) left today")


@click.command("preview")
@click.argument("file", type=click.Path())
@click.option("-o", "--output", type=click.Path(), help="Page to write (default: preview/<article>.html).")
@click.option("--serve", is_flag=True, help="Serve the page (rebuilt on every reload) instead of writing it.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=int)
@click.option("--theme", help="Preview with this theme instead of the configured one.")
@click.option("--to-phone", "to_phone", metavar="WECHAT_ID", help="Send it to this follower's phone instead "
              "(message/mass/preview: pushes the draft if needed; no send used; 100 a day).")
@with_site
def preview_command(site, file: str, output: str | None, serve: bool, host: str, port: int,
                    theme: str | None, to_phone: str | None) -> None:
    """Show each article at phone width, light and dark, as a follower will see it."""
    if to_phone is not None:
        _preview_on_phone(site, file, to_phone)
        return
    from wechat_pub.preview import create_preview_app, preview_page
    from wechat_pub.source.article import load_issue

    options = site.render_options(theme)
    issue = load_issue(file, site.timezone)  # fail now, not on the first request, if the article is broken
    if serve:
        app = create_preview_app(lambda: load_issue(file, site.timezone), options, site.account_name)
        err.print(f"Previewing {file} at http://{host}:{port}/ (Ctrl+C to stop)")
        app.run(host=host, port=port)
        return
    target = Path(output or Path("preview") / (Path(file).stem + ".html"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(preview_page(issue, options, site.account_name), encoding="utf-8")
    out.print(f"wrote {target} (open it in a browser)")


@click.command("import")
@click.argument("file", type=click.Path())
@click.option("-o", "--output", "out_dir", type=click.Path(), help="Folder to write to (default: paths.articles).")
@click.option("--force", is_flag=True, help="Replace an existing article file (kept under .backups/; what was added by "
                                            "hand, such as Source: lines and publish_at, is carried over).")
@with_site
def import_command(site, file: str, out_dir: str | None, force: bool) -> None:
    """Import a newsletter, its PDF (text, (More) links, pictures) or its text, as an article file."""
    from wechat_pub.cli.users import terminal_user
    from wechat_pub.source.importing import import_newsletter, pdf_review

    brand, footer = site.import_brand()
    def withdraw_approval(number: int, paths) -> None:  # new pictures for an issue: its approval no longer holds
        if Path(out_dir or site.articles.path).resolve() == site.articles.path.resolve() and \
                site.approvals.withdraw(number):  # (written into the account's own folder, -o or not)
            site.services.audit.record(terminal_user(), "unapprove", site.appid, number,
                                       ", ".join(path.name for path in paths))
            err.print(f"[yellow]note:[/] issue {number}'s pictures changed: its approval was withdrawn (an approver "
                      "must approve it again)", markup=True)

    imported = import_newsletter(file, Path(out_dir) if out_dir else site.articles.path, brand, footer, force,
                                 withdraw_approval)
    result, issue, target = imported.result, imported.result.issue, imported.target
    out.print(f"wrote [bold]{target}[/]: issue {issue.number} ({issue.date}), {len(issue.sections)} section(s), "
              f"{len(issue.items)} item(s)")
    if result.footer_lines:
        out.print(f"  {result.footer_lines} line(s) matched the publisher's standing masthead/footer from config")
    if result.punctuation:
        marks = ", ".join(f"{count} {mark}" for mark, count in sorted(result.punctuation.items()))
        out.print(f"  Chinese punctuation the PDF had flattened to ASCII was made full-width: {marks}")
    if result.linked:
        out.print(f"  {result.linked} item(s) got their Source line from their (More)/(查看更多) link")
    for line in pdf_review(imported.pdf):
        out.print(f"  {rx(line)}")
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
    if imported.backup:
        out.print(f"  the file it replaced is kept as {rx(str(imported.backup))}")
    for what in imported.carried:
        out.print(f"  carried over from it: {rx(what)}")
    site.library.sync()
    out.print(f"next: review it, then run [bold]wechat-pub check {target}[/]")


COMMANDS = (import_command, check_command, render_command, preview_command)
