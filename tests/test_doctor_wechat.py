"""`wechat-pub doctor` says what the account may do (issue 23): credentials and the IP whitelist, the token's
source, draft/publish/send/preview/analytics with today's quota (openapi/quota/get, 48001), the webhook answering
WeChat's URL check with the configured token, and the clock against WeChat's."""

from __future__ import annotations

import requests
from test_webhook import serve

TOKEN = "doct0rtoken"


def lines(report: str, name: str) -> str:
    return "\n".join(line for line in report.splitlines() if f"default: {name}" in line)


def test_a_verified_account_may_do_everything(sandbox_dir, run_cli):
    report = run_cli("doctor").stdout
    assert "ok   default: credentials: the sandbox: an access token was had" in report
    assert "default: token: from cgi-bin/stable_token" in report
    assert "send: allowed; 1 of 1 left today" in lines(report, "send")
    assert "preview: allowed; 100 of 100 left today" in lines(report, "preview")
    assert "ok   default: clock: within 60 s" in report
    assert "console.public_url is empty" in lines(report, "webhook")


def test_an_unverified_account_is_drafts_only(sandbox_dir, sandbox, run_cli):
    requests.post(f"{sandbox.url}/sandbox/accounts/wx_sandbox", json={"verified": False}, timeout=10)
    report = run_cli("doctor").stdout
    assert "draft: allowed" in report
    assert "send: not allowed (the account is not verified: send by hand in mp.weixin.qq.com" in report
    assert "publish: not allowed" in report and "preview: not allowed" in report
    assert "drafts only: publish and send by hand" in report


def test_an_ip_outside_the_whitelist_is_named(sandbox_dir, sandbox, run_cli):
    sandbox.fault("stable_token", "errcode:40164", times=10)
    report = run_cli("doctor").stdout  # a sandbox's trouble warns; a real account's fails (exit 1)
    assert "warn default: credentials" in report and "Add 127.0.0.1 to the IP whitelist" in report


def test_the_webhook_answers_the_url_check_only_with_the_right_token(sandbox_dir, run_cli, monkeypatch):
    webhook, server = serve(sandbox_dir, monkeypatch, token=TOKEN)
    try:
        base = webhook.url.removesuffix("/wechat")
        monkeypatch.setenv("WECHAT_PUB_CONSOLE__PUBLIC_URL", base)
        assert "answers WeChat's URL check with the configured token" in run_cli("doctor").stdout
        monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "anothertoken")
        assert "the token there is not webhook.token" in run_cli("doctor", expect=1).stdout
    finally:
        server.shutdown()
