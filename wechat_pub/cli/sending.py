"""Commands that reach the followers: send an issue (群发) exactly once, delete a send, mark one sent by hand."""

from __future__ import annotations

import click

from wechat_pub.cli.context import with_site
from wechat_pub.cli.output import err, out, rx


@click.command("send")
@click.argument("file", type=click.Path())
@click.option("--tag", default="", metavar="ID", help="Send to followers with this tag id (default: everyone).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--delete", "delete", is_flag=True, help="Delete the issue's send from followers' chats instead.")
@with_site
def send_command(site, file: str, tag: str, yes: bool, delete: bool) -> None:
    """Send an issue to the followers (message/mass/sendall): pushes the draft if needed; never twice."""
    if delete:
        _unsend(site, file, yes)
        return
    from wechat_pub.publish.actions import issue_of
    from wechat_pub.publish.send import send_issue, tag_id_of

    issue = issue_of(site, file)
    audience = f"followers with tag {tag_id_of(tag)}" if tag else "ALL followers"
    if not yes:
        click.confirm(f"Send issue {issue.number} to {audience} of {site.label} now? A subscription account may "
                      "send once a day", abort=True, err=True)
    with site.connect() as account:
        outcome = send_issue(site, account, issue, tag, by="cli",
                             progress=lambda message: err.print(f"  {rx(message)}"))
    if outcome.action == "already":
        out.print(f"issue {issue.number} was already sent to {outcome.audience} (msg_id {outcome.msg_id}); "
                  "nothing was sent again")
        return
    again = " (WeChat already had this send: nothing was sent twice)" if outcome.action == "repeated" else ""
    out.print(f"issue {issue.number} sent to {outcome.audience}: msg_id {outcome.msg_id}{again}")
    out.print("  WeChat reports the result (counts, links) by MASSSENDJOBFINISH; `wechat-pub status` shows it")
    from wechat_pub.publish.actions import unschedule_done

    note = unschedule_done(site, file, "sent by hand")
    if note:
        out.print(f"  {rx(note)}")


def _unsend(site, file: str, yes: bool) -> None:
    from wechat_pub.publish.actions import issue_of
    from wechat_pub.publish.send import unsend

    issue = issue_of(site, file)
    if not yes:
        click.confirm(f"Delete issue {issue.number}'s send from the followers' chats? This cannot be undone",
                      abort=True, err=True)
    with site.connect() as account:
        msg_id = unsend(site, account, issue.number, by="cli")
    out.print(f"issue {issue.number}'s send (msg_id {msg_id}) was deleted; followers no longer find it")


@click.command("unsend")
@click.argument("file", type=click.Path())
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_site
def unsend_command(site, file: str, yes: bool) -> None:
    """Delete an issue's send from the followers' chats (message/mass/delete); the same as `send --delete`."""
    _unsend(site, file, yes)


@click.command("mark-sent")
@click.argument("file", type=click.Path())
@click.option("--url", required=True, help="The sent article's link (https://mp.weixin.qq.com/s/…).")
@with_site
def mark_sent_command(site, file: str, url: str) -> None:
    """Record that an issue was sent by hand in mp.weixin.qq.com (followers can then find it)."""
    from wechat_pub.publish.actions import issue_of, unschedule_done
    from wechat_pub.publish.send import mark_sent


    issue = issue_of(site, file)
    site.library.sync()
    mark_sent(site, issue, url, by="cli")
    out.print(f"issue {issue.number} is sent at {url}; followers now find it")
    note = unschedule_done(site, file, "sent by hand")
    if note:
        out.print(f"  {rx(note)}")


COMMANDS = (send_command, unsend_command, mark_sent_command)
