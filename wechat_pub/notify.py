"""Telling the team: when a scheduled push succeeds, fails, is missed or is blocked, and when publishing
finishes, a message says what happened and what to do, with a link to the issue's console page. To a WeCom
(企业微信) group robot and/or by e-mail over SMTP, as configured per account. A channel that fails is logged;
it never stops the push or the webhook."""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage

import requests

log = logging.getLogger(__name__)

HEADLINES = {
    "pushed": ("✅", "pushed to the draft box", "是否发布：在控制台或 mp.weixin.qq.com 发布。"),
    "failed": ("❌", "was not pushed: the scheduled push failed", "请按提示处理后重新推送或改期。"),
    "missed": ("⚠️", "was not pushed: its time was missed", "请立即推送或设定新的时间。"),
    "blocked": ("⚠️", "was not pushed at its time", "请在控制台修正后推送或改期。"),
    "published": ("📣", "is published", "读者现在可以检索到本期。"),
    "publish-failed": ("❌", "was NOT published: WeChat's publish job failed", "请按提示处理后重新发布。"),
    "send-started": ("📤", "is being sent to the followers, as scheduled", "WeChat 报告结果后会再通知（人数与链接）。"),
    "sent": ("📨", "was sent to the followers", "读者已在会话中收到本期，并可检索到它。"),
    "send-failed": ("❌", "was not sent to the followers", "请按提示处理；如需要，在 mp.weixin.qq.com 手动群发后标记为已发送。"),
}


@dataclass(frozen=True)
class Notice:
    account: str  # the account's name as people know it
    issue: int
    event: str  # pushed, failed, missed, blocked, published, publish-failed
    detail: str  # what happened, with what to do when something went wrong
    link: str  # the issue's console page

    @property
    def subject(self) -> str:
        mark, what, _ = HEADLINES[self.event]
        return f"{mark} {self.account}: issue {self.issue} {what}"

    def text(self) -> str:
        _, _, next_step = HEADLINES[self.event]
        return f"{self.subject}\n{self.detail}\n{next_step}\n{self.link}"


class WeComRobot:
    """A WeCom group robot: POST {"msgtype": "text", ...} to its webhook; it answers {"errcode": 0}."""

    name = "WeCom robot"

    def __init__(self, url: str, timeout: float = 5):
        self.url, self.timeout = url, timeout

    def send(self, notice: Notice) -> None:
        response = requests.post(self.url, json={"msgtype": "text", "text": {"content": notice.text()}},
                                 timeout=self.timeout)
        response.raise_for_status()
        answer = response.json()
        if answer.get("errcode", 0) != 0:
            raise RuntimeError(f"the robot answered errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


class Email:
    name = "e-mail"

    def __init__(self, host: str, port: int, starttls: bool, user: str, password: str, sender: str,
                 recipients: list[str], timeout: float = 10):
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self.password = user, password
        self.sender, self.recipients, self.timeout = sender, recipients, timeout

    def send(self, notice: Notice) -> None:
        message = EmailMessage()
        message["Subject"] = notice.subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(notice.text())
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


class Notifier:
    def __init__(self, channels: list):
        self.channels = channels

    def notify(self, notice: Notice) -> list[str]:
        """Send on every channel; the channels that failed, each with why (logged, never raised)."""
        failed = []
        for channel in self.channels:
            try:
                channel.send(notice)
            except Exception as exc:  # a robot or mail server away must not stop anything
                log.warning("notification by %s failed: %s: %s", channel.name, type(exc).__name__, exc)
                failed.append(f"{channel.name}: {type(exc).__name__}")
        return failed

    def notify_later(self, notice: Notice) -> None:
        """Send from a background thread (the webhook's reply does not wait for it)."""
        if self.channels:
            threading.Thread(target=self.notify, args=(notice,), daemon=True).start()
