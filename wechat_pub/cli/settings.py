"""Commands about the configuration itself, ``doctor`` (what in a deployment needs fixing) and ``db`` (the state
database's schema)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from wechat_pub.cli.context import pass_state
from wechat_pub.cli.output import out, rx
from wechat_pub.errors import ExitStatus, WechatPubError


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


@click.group("db")
def db_group() -> None:
    """The state database's schema: its revision, and the upgrade (run, serve and every command upgrade it
    themselves at start; this does it alone, e.g. before starting new versions on several hosts)."""


@db_group.command("upgrade")
@pass_state
def db_upgrade(state) -> None:
    """Bring the state database's schema to this version's newest revision (waits for another host doing it)."""
    from wechat_pub.state.database import shown_url

    out.print(f"{rx(shown_url(state.deployment.services.database_url))}: at revision {_revision(state)} (the newest)")


@db_group.command("current")
@pass_state
def db_current(state) -> None:
    """Print the state database's schema revision and this version's newest; exit 1 when they differ."""
    from wechat_pub.state.database import open_engine, shown_url
    from wechat_pub.state.migrate import current, head

    engine = open_engine(state.deployment.services.database_url)  # not the deployment's: that one upgrades as it opens
    try:
        with engine.connect() as conn:
            revision = current(conn)
    finally:
        engine.dispose()
    out.print(f"{rx(shown_url(state.deployment.services.database_url))}: revision {revision or 'none'}, newest {head()}")
    if revision != head():
        newer = revision is not None and revision > head()  # (numbered in order: see migrate.head)
        out.print("This wechat-pub is older than the database: upgrade wechat-pub on this host to the version the "
                  "other hosts run." if newer else "Run: wechat-pub db upgrade")
        raise SystemExit(ExitStatus.ERROR)


@db_group.command("copy")
@click.argument("source")
@pass_state
def db_copy(state, source: str) -> None:
    """Carry every record of the state database SOURCE (a SQLite file, e.g. state/state.sqlite3, or a database URL)
    into the configured one (state.database_url), which must hold none yet. Stop wechat-pub on every host first."""
    from wechat_pub.state.copy import copy_records
    from wechat_pub.state.database import StateDatabase, shown_url

    url = source if "://" in source else f"sqlite:///{Path(source).resolve()}"
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        raise WechatPubError(f"{source} is not a file.", "Give the old state database's file, e.g. state/state.sqlite3.")
    copied = copy_records(StateDatabase(url), state.deployment.services.db)
    target = shown_url(state.deployment.services.database_url)
    out.print(f"copied {sum(copied.values()):,} records into {rx(target)}: "
              + ", ".join(f"{name} {count:,}" for name, count in copied.items() if count))
    out.print(f"wechat-pub now works on {rx(target)}; keep {source} as a backup or move it out of the state folder.")


@db_group.command("revision")
@click.argument("message")
def db_revision(message: str) -> None:
    """For developers (in a source checkout): write the next migration into wechat_pub/state/migrations/versions,
    from what state/schema.py has that the migrations do not make yet. Read and correct it before committing."""
    from wechat_pub.state.migrate import new_revision

    out.print(f"wrote {new_revision(message)}")


def _revision(state) -> str:
    from wechat_pub.state.migrate import current

    with state.deployment.services.db.connect() as conn:  # opening the deployment's database upgrades it
        return current(conn)


COMMANDS = (config_group, doctor_command, db_group)
