"""Commands about the configuration itself, and ``doctor``: what in a deployment needs fixing."""

from __future__ import annotations

import json

import click

from wechat_pub.cli import pass_state
from wechat_pub.cli.output import out, rx
from wechat_pub.errors import ExitStatus


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("show")
@pass_state
def config_show(state) -> None:
    """Print every setting in force (secrets hidden), each account's own, and where the config came from."""
    cfg = state.deployment.cfg
    out.print(f"# config file: {cfg.path or '(none; defaults and environment)'}")
    for name, value in cfg.redacted().items():
        out.print(f"{name} = {json.dumps(value, ensure_ascii=False)}")
    for account in cfg.account_names[1:]:
        out.print(f"\n# account {account} (its own settings; the rest as above)")
        for name, value in cfg.redacted_overrides(account).items():
            out.print(f"{name} = {json.dumps(value, ensure_ascii=False)}")


@click.command("doctor")
@click.option("--limits", "limits", is_flag=True, help="Also measure the account's title, author and digest limits "
                                                       "with throwaway drafts (created and deleted at once), and keep "
                                                       "them for check and the console.")
@click.option("--account", "account", metavar="NAME", help="The account whose limits to measure (default: the top "
                                                           "level).")
@pass_state
def doctor_command(state, limits: bool, account: str | None) -> None:
    """Check the deployment: config and state files readable by this user only, the state database reachable,
    an admin for the console, HTTPS cookies; per account the credentials, what it may do (draft, publish, send,
    preview, analytics) with today's quota, the webhook and the clock. Exits 1 when a check fails (warnings alone
    exit 0)."""
    from wechat_pub.doctor import FAIL, measure_account_limits, run_checks

    colours = {"ok": "green", "warn": "yellow", "fail": "red"}
    checks = run_checks(state.deployment)
    for check in checks:
        out.print(f"[{colours[check.status]}]{check.status:<4}[/] {check.name}: {rx(check.message)}", markup=True)
    if limits:
        checks.append(measure_account_limits(state.site(account)))
        check = checks[-1]
        out.print(f"[{colours[check.status]}]{check.status:<4}[/] {check.name}: {rx(check.message)}", markup=True)
    if any(check.status == FAIL for check in checks):
        raise SystemExit(ExitStatus.ERROR)


COMMANDS = (config_group, doctor_command)
