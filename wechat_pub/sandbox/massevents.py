"""How an accepted mass send ends in the sandbox: its status, counts and article URLs, and the MASSSENDJOBFINISH
event WeChat posts to the account's webhook (fields as reference/wechat-reach.md §4 lists them)."""

from __future__ import annotations

from wechat_pub.sandbox.events import MPHELPER_OPENID, deliver
from wechat_pub.sandbox.massstore import MassStore
from wechat_pub.sandbox.state import SandboxState

TAG_SHARE = 0.25  # a tag reaches this share of the followers (the sandbox keeps no real tags)


def finish_send(state: SandboxState, store: MassStore, msg_id: int, base_url: str) -> None:
    sent = store.send(msg_id)
    if sent is None or sent["status"] != "SENDING":
        return
    account = state.settings.account(sent["appid"])
    outcome = state.settings.mass_outcome
    followers = account.followers if account else 0
    total = followers if sent["to_all"] else int(followers * TAG_SHARE)
    ok = outcome == "success"
    urls = [f"{base_url}/sandbox/mass/{msg_id}/{i + 1}" for i in range(len(sent["articles"]))] if ok else []
    if not store.finish(msg_id, "SEND_SUCCESS" if ok else "SEND_FAIL", urls, outcome):
        return
    if account is None or not account.webhook_url:
        store.note_event(msg_id, "no webhook configured")
        return
    xml = mass_event_xml(account.account_id, msg_id, outcome, total, urls, int(state.now()))
    store.note_event(msg_id, deliver(xml, account.webhook_url, account.webhook_token, account.webhook_aes_key,
                                     account.appid, account.account_id, MPHELPER_OPENID, state.settings.clock()))


def event_status(outcome: str) -> str:
    if outcome == "success":
        return "send success"
    if outcome.startswith("err("):
        return outcome
    return "send fail"


def mass_event_xml(account_id: str, msg_id: int, outcome: str, total: int, urls: list[str], created: int) -> str:
    ok = outcome == "success"
    sent, errors = (total, 0) if ok else (0, total)
    check_state = 3 if outcome == "check_fail" else 1
    url_items = "".join(f"<item><ArticleIdx>{i + 1}</ArticleIdx><ArticleUrl><![CDATA[{url}]]></ArticleUrl></item>"
                        for i, url in enumerate(urls))
    return (f"<xml><ToUserName><![CDATA[{account_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{MPHELPER_OPENID}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>{msg_id}</MsgID>"
            f"<Status><![CDATA[{event_status(outcome)}]]></Status><TotalCount>{total}</TotalCount>"
            f"<FilterCount>{total}</FilterCount><SentCount>{sent}</SentCount><ErrorCount>{errors}</ErrorCount>"
            f"<CopyrightCheckResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx>"
            f"<UserDeclareState>0</UserDeclareState><AuditState>2</AuditState><OriginalArticleUrl><![CDATA[]]>"
            f"</OriginalArticleUrl><OriginalArticleType>1</OriginalArticleType><CanReprint>1</CanReprint>"
            f"<NeedReplaceContent>1</NeedReplaceContent><NeedShowReprintSource>1</NeedShowReprintSource></item>"
            f"</ResultList><CheckState>{check_state}</CheckState></CopyrightCheckResult>"
            f"<ArticleUrlResult><Count>{len(urls)}</Count><ResultList>{url_items}</ResultList></ArticleUrlResult>"
            f"</xml>")
