"""The ``wechat-pub`` command. Thin commands named by verb, split by audience:

- :mod:`.articles`: writing an issue (import, check, render, preview)
- :mod:`.publishing`: getting it out (push, status, schedule, run, sandbox)
- :mod:`.webhook`: followers (serve, ask, simulate, queries)
- :mod:`.stats`: what was read, shared and liked (stats)
- :mod:`.users`: the console's users (user add, list, remove, passwd, role, signout)
- :mod:`.settings`: the configuration (config show), what needs fixing (doctor), the database's schema (db)

What every command shares (the deployment, built once) is in :mod:`.context`. Every command works on one
account of the deployment (``--account NAME``, before or after the command; default: the top-level account). One error boundary, :func:`main`, turns every user error into one clear
message and an exit status.
"""

from __future__ import annotations

import sys
import traceback

import click

from wechat_pub import __version__
from wechat_pub.cli.context import State
from wechat_pub.cli.output import err, rx
from wechat_pub.errors import ExitStatus, WechatPubError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="PATH", help="Config file (default: ./config.toml).")
@click.option("--account", "account", metavar="NAME", help="The account to work on (see [accounts.NAME] in the config).")
@click.option("--traceback", is_flag=True, help="Show the full traceback on errors.")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (HTTP calls included; secrets masked).")
@click.version_option(__version__, prog_name="wechat-pub")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, account: str | None, traceback: bool, verbose: bool) -> None:
    """Publish a bilingual newsletter to a WeChat official account."""
    state = State(config_path, verbose, account, clock=ctx.obj)  # ctx.obj: the clock main() was given, if any
    ctx.obj = state
    ctx.call_on_close(state.close)


def _register() -> None:
    from wechat_pub.cli import articles, publishing, sending, settings, stats, users, webhook

    for module in (articles, publishing, sending, stats, webhook, users, settings):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None, clock=None) -> None:
    """Run the CLI: user errors print one clear message and exit with their status. ``clock`` (a
    :class:`~wechat_pub.clock.Clock`) replaces the system clock: how tests say what time it is."""
    show_traceback = "--traceback" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="wechat-pub", standalone_mode=False, obj=clock)
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
    except Exception as exc:  # a service away, or a bug: say so plainly, and what to do
        from wechat_pub.state.outage import explain_outage, is_outage

        if is_outage(exc):
            error = explain_outage(exc, "finish")
            err.print(f"[red]Error:[/] {rx(str(error))}", markup=True)
            raise SystemExit(error.exit_status) from None
        if show_traceback:
            traceback.print_exc()
        else:
            err.print(f"[red]Internal error:[/] {type(exc).__name__}: {rx(str(exc))}\n"
                      "Run again with --traceback for details, and report it.", markup=True)
        raise SystemExit(ExitStatus.ERROR) from None
    raise SystemExit(ExitStatus.OK)
