"""The WeChat half of ``wechat-pub doctor``, per account: the credentials and the IP whitelist (40164 names the
address WeChat saw), where the token comes from, what the account may do (:mod:`wechat_pub.rights`), the webhook
answering WeChat's URL check with the configured token, and this machine's clock against WeChat's."""

from __future__ import annotations

import email.utils
import secrets
import time

import requests

from wechat_pub.checks import FAIL, OK, WARN, Check
from wechat_pub.rights import ask_rights
from wechat_pub.wechat.errors import NetworkError, WeChatAPIError

SKEW_WARN_SECONDS = 60  # the webhook refuses messages further off than webhook.max_clock_skew (300 s by default)


def wechat_checks(deployment) -> list[Check]:
    checks = []
    for site in deployment.sites.values():
        checks.extend(account_checks(site))
    return checks


def account_checks(site) -> list[Check]:
    name = f"{site.name}: "
    if site.uses_sandbox:
        from wechat_pub.sandbox.server import is_running

        host, port = site.services.cfg["sandbox.host"], site.services.cfg["sandbox.port"]
        if not is_running(f"http://{host}:{port}"):  # none to ask: starting one here would only ask itself
            return [Check(OK, name + "wechat", "no credentials: the built-in sandbox stands in (run `wechat-pub "
                                               "sandbox` to check what its account may do)"), _webhook(site, name)]
        return [_sandboxed(check) for check in _asked(site, name)] + [_webhook(site, name)]
    return _asked(site, name) + [_webhook(site, name)]


def _sandboxed(check: Check) -> Check:
    """A sandbox's trouble is a note, not a failure of the deployment."""
    return Check(WARN, check.name, check.message) if check.status == FAIL else check


def _asked(site, name: str) -> list[Check]:
    with site.connect() as account:
        credentials = _credentials(site, account)
        checks = [Check(credentials[0], name + "credentials", credentials[1]), _token_source(site, name)]
        if credentials[0] == OK:
            checks += _rights(account, name)
            checks.append(_clock_skew(site, account, name))
    return checks


def _credentials(site, account) -> tuple[str, str]:
    where = "the sandbox" if site.uses_sandbox else f"app id {site.appid}"
    try:
        account.api.access_token
    except WeChatAPIError as exc:
        return FAIL, f"{where}: {exc.message} → {exc.hint}"  # 40164: the IP to whitelist, and where
    except NetworkError as exc:
        return FAIL, f"{where}: {exc.message} → {exc.hint}"
    return OK, f"{where}: an access token was had (the IP whitelist lets this machine in)"


def _token_source(site, name: str) -> Check:
    mode = site.cfg["wechat.token_mode"]
    endpoint = "cgi-bin/stable_token (other tools on the account keep working)" if mode == "stable" else \
        "cgi-bin/token (a new token ends other tools' tokens within 5 minutes)"
    kept = "Redis" if site.services.cfg["state.redis_url"] else "the state database"
    return Check(OK if mode == "stable" else WARN, name + "token", f"from {endpoint}, kept in {kept}")


def _rights(account, name: str) -> list[Check]:
    rights = ask_rights(account.api)
    checks = [Check(OK if right.allowed else WARN, name + capability, right.words())
              for capability, right in rights.by_capability.items()]
    if rights.error:
        checks.append(Check(WARN, name + "rights", f"could not ask: {rights.error}"))
    elif rights.hand_path:
        checks.append(Check(WARN, name + "workflow", "drafts only: publish and send by hand in mp.weixin.qq.com, then "
                                                     "`wechat-pub mark-published|mark-sent FILE --url URL`"))
    return checks


def _clock_skew(site, account, name: str) -> Check:
    """This machine's clock against the Date of WeChat's (or the sandbox's) answers."""
    try:
        answer = requests.get(account.api.API_BASE_URL, timeout=10)
        theirs = email.utils.parsedate_to_datetime(answer.headers["Date"]).timestamp()
    except (requests.RequestException, KeyError, TypeError, ValueError):
        return Check(WARN, name + "clock", "WeChat's clock could not be read (no Date header)")
    skew = site.clock.time() - theirs
    if abs(skew) > SKEW_WARN_SECONDS:
        return Check(WARN, name + "clock", f"this machine's clock is {skew:+.0f} s off WeChat's: set up NTP "
                                           "(the webhook refuses messages more than webhook.max_clock_skew off)")
    return Check(OK, name + "clock", f"within {SKEW_WARN_SECONDS} s of WeChat's ({skew:+.0f} s)")


def _webhook(site, name: str) -> Check:
    """WeChat's URL check (a signed GET with an echostr) against our own served address, with the configured token."""
    from wechat_pub.bot.protocol import signature

    url = f"{site.services.console_url}{site.cfg['webhook.path']}"
    if not site.services.console_url:
        return Check(WARN, name + "webhook", "console.public_url is empty: set it to where WeChat reaches the "
                                             "service, to check the webhook from here")
    token, echo = site.cfg["webhook.token"], secrets.token_hex(8)
    timestamp, nonce = str(int(time.time())), secrets.token_hex(6)
    params = {"signature": signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": echo}
    try:
        answer = requests.get(url, params=params, timeout=10)
    except requests.RequestException as exc:
        return Check(WARN, name + "webhook", f"{url} did not answer ({type(exc).__name__}): is `wechat-pub run` "
                                             "serving there?")
    if answer.status_code == 200 and answer.text == echo:
        return Check(OK, name + "webhook", f"{url} answers WeChat's URL check with the configured token")
    return Check(FAIL, name + "webhook", f"{url} answered HTTP {answer.status_code} to WeChat's URL check: the "
                                         "token there is not webhook.token, or another service answers; WeChat "
                                         "would refuse the URL")
