"""``wechat-pub doctor``: checks of a deployment that a person should fix, each an ok, warn or fail line with
what to do. Nothing here changes anything: it reads the config, the file modes, and asks the database; only
``--limits`` calls WeChat (throwaway drafts) and keeps what it measured."""

from __future__ import annotations

from wechat_pub.checks import FAIL, OK, WARN, Check

__all__ = ["FAIL", "OK", "WARN", "Check", "run_checks"]


def run_checks(deployment, wechat: bool = True) -> list[Check]:
    """``wechat``: also ask each WeChat account what it may do (:mod:`wechat_pub.doctor_wechat`)."""
    database = _database(deployment)
    checks = [_config_file(deployment), *_state_permissions(deployment), database]
    if database.status == OK:
        checks.append(_admins(deployment))
    checks.append(_https(deployment))
    if wechat and database.status == OK:  # the token is kept in the state database: no use asking without it
        from wechat_pub.doctor_wechat import wechat_checks

        checks.extend(wechat_checks(deployment))
    return checks


def _config_file(deployment) -> Check:
    path = deployment.cfg.path
    if path is None:
        return Check(OK, "config", "no config file: defaults and WECHAT_PUB_* variables")
    text = path.read_text(encoding="utf-8")
    secrets_inside = [value for value in deployment.cfg.secrets() if value in text]
    if secrets_inside and path.stat().st_mode & 0o077:
        return Check(WARN, "config", f"{path} holds secrets and others may read it: run `chmod 600 {path}` "
                                     "(or move the secrets to WECHAT_PUB_* variables)")
    return Check(OK, "config", str(path))


def loose_state_files(deployment) -> list:
    """The state folder and SQLite state database files that others may read (``wechat-pub run`` warns too)."""
    from pathlib import Path

    from wechat_pub.state.private import loose_permissions

    url = deployment.services.database_url
    database = Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None
    return loose_permissions(deployment.services.state_path, database)


def _state_permissions(deployment) -> list[Check]:
    loose = loose_state_files(deployment)
    if loose:
        return [Check(WARN, "permissions", str(finding)) for finding in loose]
    return [Check(OK, "permissions", f"{deployment.services.state_path} and the state database are readable by this user "
                                     "only")]


def _database(deployment) -> Check:
    from sqlalchemy import text

    from wechat_pub.state.database import shown_url
    from wechat_pub.state.outage import explain_outage, is_outage

    try:
        with deployment.services.db.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if not is_outage(exc):
            raise
        return Check(FAIL, "database", str(explain_outage(exc, "open the state database")))
    return Check(OK, "database", shown_url(deployment.services.database_url))


def _admins(deployment) -> Check:
    admins = [user.name for user in deployment.services.users.all() if user.role == "admin"]
    if not admins:
        return Check(WARN, "console", "no admin can manage the console's users: "
                                      "echo 'a long password' | wechat-pub user add NAME --role admin --password-stdin")
    return Check(OK, "console", f"admin(s): {', '.join(admins)}")


def _https(deployment) -> Check:
    if deployment.services.console_url.startswith("https://") and not deployment.secure_cookies:
        return Check(WARN, "cookies", f"the console is reached over HTTPS ({deployment.services.console_url}) but its session "
                                      "cookie may travel over plain HTTP: set [console] secure_cookies = true")
    return Check(OK, "cookies", "secure cookies on" if deployment.secure_cookies else "plain HTTP (no public HTTPS URL)")


def measure_account_limits(site) -> Check:
    """``doctor --limits``: the account's title, author and digest limits, measured and kept (the one check that
    calls WeChat, and the one that writes: the measured limits, for ``check`` and the console)."""
    from wechat_pub.errors import WechatPubError
    from wechat_pub.measure import measure_limits
    from wechat_pub.state.fieldlimits import MeasuredLimits

    with site.connect() as account:
        try:
            limits = measure_limits(account.api)
        except WechatPubError as exc:
            return Check(FAIL, "limits", f"could not measure the field limits: {exc.message} → {exc.hint}")
    MeasuredLimits(site.services.db, site.appid).put(limits, site.clock.time())
    found = "; ".join(f"{name} {limit.describe()}" for name, limit in limits.items())
    return Check(OK, "limits", f"measured on {site.label}: {found}. `wechat-pub check` and the console use them now.")
