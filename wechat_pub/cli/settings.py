"""Commands about the configuration itself."""

from __future__ import annotations

import json

import click

from wechat_pub.cli import pass_state
from wechat_pub.cli.output import out


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


COMMANDS = (config_group,)
