"""What every command shares: the deployment of the config, built once on first use, and the decorators that
hand it (or the chosen account's Site) to a command. Below the commands' modules, which import it."""

from __future__ import annotations

from functools import cached_property, wraps

import click


class State:
    """What every command shares: the deployment (the config's accounts and their collaborators), built
    once on first use."""

    def __init__(self, config_path: str | None, verbose: bool = False, account: str | None = None, clock=None):
        self.config_path = config_path
        self.verbose = verbose
        self.account = account
        self.clock = clock  # None: the system clock (tests inject theirs through main())

    @cached_property
    def deployment(self):
        import logging

        from wechat_pub.clock import SYSTEM_CLOCK
        from wechat_pub.deployment import open_deployment
        from wechat_pub.logs import setup_logging

        deployment = open_deployment(self.config_path, self.clock or SYSTEM_CLOCK)
        setup_logging(deployment.cfg.secrets(), logging.DEBUG if self.verbose else logging.WARNING)
        return deployment

    def site(self, account: str | None = None):
        return self.deployment.site(account or self.account)

    def close(self) -> None:
        if "deployment" in self.__dict__:
            self.deployment.close()


pass_state = click.make_pass_decorator(State)


def with_site(command):
    """Give a command the Site of the account chosen with ``--account`` (here or on the group)."""
    @click.option("--account", "account", metavar="NAME", help="The account to work on (default: the top level).")
    @pass_state
    @wraps(command)
    def wrapper(state: State, account: str | None, **options):
        return command(state.site(account), **options)

    return wrapper
