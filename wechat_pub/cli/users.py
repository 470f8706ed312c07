"""Commands for the people who use the console: add, list, remove, change passwords and roles, sign out
everywhere. Each change but adding ends every console session of that user."""

from __future__ import annotations

import getpass
import sys

import click

from wechat_pub.cli.context import pass_state
from wechat_pub.cli.output import out, rx
from wechat_pub.errors import UsageError
from wechat_pub.roles import ROLES


@click.group("user")
def user_group() -> None:
    """The console's users: editors import, edit, schedule and push; approvers also approve and publish; admins
    also manage users."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise UsageError("no password on standard input.", "echo 'a long password' | wechat-pub user add NAME "
                                                                "--role editor --password-stdin")
        return password
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise UsageError("the two passwords differ.", "Run the command again.")
    return first


def terminal_user() -> str:
    """Who the audit log names for a command typed at this machine."""
    return f"cli:{getpass.getuser()}"


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@pass_state
def user_add(state, name: str, role: str, password_stdin: bool) -> None:
    """Create a console user (the first one should be an admin)."""
    deployment = state.deployment
    deployment.services.users.add(name, role, _password(password_stdin))
    deployment.services.audit.record(terminal_user(), "user-add", detail=f"{name} ({role})")
    out.print(f"{rx(name)} can sign in at /console/ as {role}")


@user_group.command("list")
@pass_state
def user_list(state) -> None:
    """Who may sign in, and as what."""
    users = state.deployment.services.users.all()
    if not users:
        out.print("no users yet: wechat-pub user add NAME --role admin")
    for user in users:
        out.print(f"{rx(user.name):<24} {user.role}")


@user_group.command("remove")
@click.argument("name")
@pass_state
def user_remove(state, name: str) -> None:
    """Remove a user (they cannot sign in any more, and their sessions end)."""
    state.deployment.services.users.remove(name)
    state.deployment.services.audit.record(terminal_user(), "user-remove", detail=name)
    out.print(f"{rx(name)} was removed")


@user_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@pass_state
def user_passwd(state, name: str, password_stdin: bool) -> None:
    """Set a user's password (their console sessions end)."""
    state.deployment.services.users.set_password(name, _password(password_stdin))
    state.deployment.services.audit.record(terminal_user(), "user-password", detail=name)
    out.print(f"{rx(name)}'s password was changed")


@user_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@pass_state
def user_role(state, name: str, role: str) -> None:
    """Give a user another role (their console sessions end: they sign in again)."""
    state.deployment.services.users.set_role(name, role)
    state.deployment.services.audit.record(terminal_user(), "user-role", detail=f"{name} ({role})")
    out.print(f"{rx(name)} is {role} now")


@user_group.command("signout")
@click.argument("name")
@pass_state
def user_signout(state, name: str) -> None:
    """End every console session of a user (a lost laptop, a copied cookie)."""
    ended = state.deployment.services.users.end_sessions(name)
    state.deployment.services.audit.record(terminal_user(), "sign-out-everywhere", detail=f"{name} ({ended} session(s))")
    out.print(f"{rx(name)} was signed out everywhere ({ended} session(s) ended)")


COMMANDS = (user_group,)
