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

def N_(message: str) -> str:  # noqa: N802 (gettext's name: pybabel extract finds these for the catalogue)
    return message


# Each event: its mark, what happened and what to do, in English (the message ids of the console's catalogue);
# a notice is written in the console's language (``console.language``), as the console is.
HEADLINES = {
    "pushed": ("✅", N_("issue %(number)s pushed to the draft box"),
               N_("Publish it in the console or in mp.weixin.qq.com.")),
    "failed": ("❌", N_("issue %(number)s was not pushed: the scheduled push failed"),
               N_("Do what the message says, then push it again or give it a new time.")),
    "missed": ("⚠️", N_("issue %(number)s was not pushed: its time was missed"),
               N_("Push it now, or give it a new time.")),
    "blocked": ("⚠️", N_("issue %(number)s was not pushed at its time"),
                N_("Fix it in the console, then push it or give it a new time.")),
    "publish-started": ("📣", N_("issue %(number)s is being published, as scheduled"),
                        N_("Another message follows when WeChat has published it, with its link.")),
    "published": ("📣", N_("issue %(number)s is published"), N_("Followers now find this issue.")),
    "publish-failed": ("❌", N_("issue %(number)s was NOT published: WeChat's publish job failed"),
                       N_("Do what the message says, then publish it again.")),
    "send-started": ("📤", N_("issue %(number)s is being sent to the followers, as scheduled"),
                     N_("Another message follows when WeChat reports the result (counts and links).")),
    "sent": ("📨", N_("issue %(number)s was sent to the followers"),
             N_("Followers have it in their chats, and find it.")),
    "send-failed": ("❌", N_("issue %(number)s was not sent to the followers"),
                    N_("Do what the message says; if needed, send it by hand in mp.weixin.qq.com, then mark it "
                       "sent on the issue's page.")),
}


# The events whose detail a team in another language still needs, English as it is: why it failed (the scheduler's
# and WeChat's words), and what a send or publish came to (its counts and links). The others' details (a draft's
# id, a publish job's, the problems the console lists) are left to the console.
DETAIL_NEEDED = {"failed", "publish-failed", "send-failed", "sent", "published"}


def done_event(outcome: str) -> str:
    """Which notice a scheduled run that did ``outcome`` (:func:`wechat_pub.publish.deliver.deliver`'s words) is."""
    if outcome.startswith("sent to"):
        return "send-started"
    if outcome.startswith("already sent"):
        return "sent"
    if outcome.startswith("published-already"):  # (found published: its answer had been lost)
        return "published"
    if outcome.startswith("publishing-already"):  # (its answer lost, its article not found yet)
        return "publish-started"
    return "publish-started" if ", publish job " in outcome else "pushed"


def _translations(language: str):
    from wechat_pub.console.i18n import catalogue

    return catalogue(language)


@dataclass(frozen=True)
class Notice:
    account: str  # the account's name as people know it
    issue: int
    event: str  # a key of HEADLINES
    detail: str  # what happened, with what to do when something went wrong
    link: str  # the issue's console page
    language: str = "zh_CN"  # console.language: the team's

    def _(self, message: str) -> str:
        return _translations(self.language).gettext(message)

    @property
    def subject(self) -> str:
        mark, what, _next = HEADLINES[self.event]
        return f"{mark} {self.account}: {self._(what) % {'number': self.issue}}"

    def text(self) -> str:
        lines = [self.subject, self.detail if self.language.startswith("en") or self.event in DETAIL_NEEDED else "",
                 self._(HEADLINES[self.event][2]), self.link]
        return "\n".join(line for line in lines if line)


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
