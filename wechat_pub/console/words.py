"""The product's words as the console says them, in the page's language: statuses, what a schedule does, what an
account may do, WeChat's error codes, and the messages of the shared code (publish, rights, the library), which
speak English for the command line. Each is translated here, at the console's boundary; a message this module
does not know is shown after a translated lead, never as the page's only words."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from wechat_pub.console.dates import written


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it, which pybabel extract looks for)
    """Mark ``message`` for the catalogue; it is translated where it is shown (the page's language is known
    only then)."""
    return message

STATUSES = {
    "not pushed": N_("not pushed"), "scheduled": N_("scheduled"), "awaiting approval": N_("awaiting approval"),
    "draft": N_("in the draft box"), "publishing": N_("publishing"), "published": N_("published"),
    "sending": N_("sending to followers"), "sent": N_("sent to followers"), "failed": N_("failed"),
    "missed": N_("missed"), "blocked": N_("blocked"), "invalid": N_("has errors"),
    "accepted": N_("accepted by WeChat"), "new": N_("not pushed"), "requested": N_("asked of WeChat"),
}

# status.py's advice (English for the CLI's `status`) -> the console's words
ADVICE = {
    "WeChat accepted the send; its counts and links come when it is done.":
        N_("WeChat accepted the send; its counts and links come when it is done."),
    "WeChat is publishing it; the links come when it is done.":
        N_("WeChat is publishing it; the links come when it is done."),
    "Its article has errors: fix them, or it is not pushed at its time.":
        N_("Its article has errors: fix them, or it is not pushed at its time."),
    "An approver must approve this version before its time.":
        N_("An approver must approve this version before its time."),
    "In the draft box: publish it (here, as an approver, or in mp.weixin.qq.com).":
        N_("In the draft box: publish it (here, as an approver, or in mp.weixin.qq.com)."),
    "Schedule it, or push it to the draft box now.": N_("Schedule it, or push it to the draft box now."),
    "An image it shows cannot be pushed (missing, or not one WeChat takes): fix it, or it is not pushed at its "
    "time.": N_("An image it shows cannot be pushed (missing, or not one WeChat takes): fix it, or it is not "
                "pushed at its time."),
    "In the draft box, but the text changed since it was pushed: push it again (publishing here pushes the newest "
    "text first).": N_("In the draft box, but the text changed since it was pushed: push it again (publishing here "
                       "pushes the newest text first)."),
}

# WeChat's error codes the team meets, by meaning; the code itself is only a detail after it
ERRCODES = {
    40001: N_("WeChat refused the account's credentials: ask your admin to check the AppSecret."),
    40164: N_("WeChat refused this server's address: ask your admin to add it to the account's IP whitelist."),
    45003: N_("The title is too long for WeChat: shorten it."),
    45004: N_("The digest is too long for WeChat: shorten it."),
    45009: N_("The account has used today's calls of this kind: try again tomorrow."),
    45110: N_("The author is too long for WeChat: shorten it."),
    48001: N_("This account may not do this through the API (it is not verified): do it by hand in "
              "mp.weixin.qq.com, then mark it here. Drafts still work."),
    53503: N_("The draft is not ready to publish in WeChat: open it in the draft box and check it."),
    40003: N_("WeChat does not know this follower: check the WeChat ID in your profile."),
    40007: N_("WeChat no longer has this draft (deleted or published there): push the issue again."),
    40125: N_("WeChat refused the account's credentials: ask your admin to check the AppSecret."),
    40152: N_("WeChat does not know this tag: choose the tag again, or send to everyone."),
    43004: N_("This WeChat ID does not follow the account: follow it first, or fix the ID in your profile."),
    45002: N_("An article is too long for WeChat: shorten the item the editor names, or split the issue."),
    45008: N_("Too many articles for one draft (8 at most): move items to another issue."),
    45011: N_("Too many calls to WeChat this minute: try again in a minute."),
    45028: N_("Today's send to followers is used (a subscription account sends once a day): send it after midnight "
              "Beijing time."),
    45062: N_("Accounts that show ads cannot send to followers through the API: send it by hand in "
              "mp.weixin.qq.com, then mark it sent here."),
    45066: N_("This send was made less than a minute ago: wait a minute and send again; nothing goes out twice."),
    45166: N_("WeChat refused the content: open the issue in the editor and fix what it lists."),
    48021: N_("WeChat saved the draft last: open it in mp.weixin.qq.com → 草稿箱, save it, then send again."),
    53504: N_("WeChat wants this draft published from its website: publish it by hand in mp.weixin.qq.com."),
    53505: N_("WeChat wants this draft saved by hand first: open and save it in mp.weixin.qq.com, then publish."),
    89504: N_("The send waits for an administrator's confirmation on their phone (公众号安全助手): it goes out "
              "when they confirm, within 30 minutes. Do not send again."),
    89505: N_("A send already waits for an administrator's confirmation (公众号安全助手): ask them to confirm or "
              "refuse it first."),
}
CODE = re.compile(r"\b(4\d{4}|5\d{4}|8\d{4})\b")

# The shared code's other failures the team meets, in the page's language: a pattern of the message, and what it
# means (the message's own words follow as a detail only where they add something: the network's reason)
FAILURES = tuple((re.compile(pattern), words) for pattern, words in (
    (r"^Could not reach WeChat's [\w/.-]+: (?P<reason>[^\n]*?)\.?(?:\n|$)",
     N_("WeChat could not be reached (%(reason)s). Nothing was lost: try again in a few minutes; if it goes on, "
        "ask your admin to check the server's network.")),
    (r"console\.require_approval is on and it was approved, but changed since",
     N_("Not approved: it changed after it was approved. An approver approves this version first.")),
    (r"console\.require_approval is on and nobody approved it",
     N_("Not approved: an approver approves this version first.")),
    (r"^today's (?P<count>\d+) phone previews are used",
     N_("Today's %(count)s phone previews are used: preview again after midnight Beijing time.")),
    (r"^Image (?P<src>\S+) cannot be downloaded from a public web address",
     N_("The image “%(src)s” cannot be downloaded: save it next to the article and link the file instead.")),
    (r"^issue \d+ is still being sent to the followers",
     N_("It is still being sent to the followers, and WeChat deletes only a send that has gone out: try again in a "
        "few minutes.")),
    (r"^issue \d+'s send failed: it reached no follower",
     N_("Its send failed and reached no follower: there is nothing to delete.")),
    (r"has no text layer \(a scanned or image-only PDF\)",
     N_("This PDF has no text (a scan, or pictures only): there is nothing to import. Export the newsletter again as "
        "PDF from the program it was written in, or have its text recognised (OCR) first.")),
    (r"fonts have no Unicode map",
     N_("This PDF's fonts do not say which characters they draw, so its text cannot be read. Export it again with "
        "its fonts embedded, or import its text (.txt).")),
    (r" has (?P<pages>\d+) pages; a newsletter has at most (?P<most>\d+)",
     N_("This PDF has %(pages)s pages; a newsletter has at most %(most)s. Is it the right file?")),
    (r" is not a PDF file\.", N_("This is not a PDF file. Choose the newsletter's PDF, or its text (.txt).")),
    (r" is damaged: the file is cut short", N_("This PDF is cut short (its end is missing): download or export it "
                                               "again.")),
    (r" is protected by a password", N_("This PDF is protected by a password, so its text cannot be read. Export it "
                                        "again without one.")),
    (r" is damaged and cannot be read as a PDF", N_("This PDF is damaged and cannot be read. Export it again.")),
    (r" is not a WeChat ID\.",
     N_("That is not a WeChat ID. Give the WeChat ID (微信号) shown in WeChat → 我: 6 to 20 letters, digits, - or _, "
        "starting with a letter; the phone's owner must follow the account.")),
    (r"^there is already a user '(?P<name>[^']*)'",
     N_("There is already a user “%(name)s”: pick another name, or change that user's password below.")),
    (r"^its schedule \((?P<when>[^)]*)\) was cleared: it was published",
     N_("Its time (%(when)s) was cleared: the issue is published, so nothing happens then.")),
    (r"^its schedule \((?P<when>[^)]*)\) was cleared: it was sent",
     N_("Its time (%(when)s) was cleared: the issue is sent to the followers, so nothing happens then.")),
    (r"^issue \d+ is being published: WeChat is still reviewing publish job",
     N_("Not pushed: WeChat is still reviewing this issue's publish. Nothing was changed; push it again once the "
        "publish has finished (this page says when): the change then goes into a new draft, a correction.")),
    (r"unpacks to more than \d+ MB of text and fonts",
     N_("This PDF unpacks to far more than a newsletter's text and fonts, so it was not read. Export or print the "
        "newsletter to PDF again, then import that file.")),
    (r"^the password is too short \((?P<length>\d+) characters\)",
     N_("The password is too short (%(length)s characters): use at least 8.")),
    (r"a send was started over a day ago and its outcome is unknown",
     N_("A send started over a day ago and WeChat never said how it ended: look in mp.weixin.qq.com → "
        "内容与互动 → 已发表/群发记录. If it went out, mark it sent here; if not, send it by hand there, then mark "
        "it sent.")),
))

CAPABILITIES = {"draft": N_("push to the draft box"), "publish": N_("publish"), "send": N_("send to followers"),
                "preview": N_("phone preview"), "analytics": N_("statistics")}
DELIVERY = {"draft": N_("into the draft box"), "publish": N_("publish (no follower is told)"),
            "send": N_("send to all followers")}


def status_name(status: str) -> str:
    return _(STATUSES[status]) if status in STATUSES else status


def advice(words: str) -> str:
    """Known advice in the page's language; other advice (a WeChat error kept by a run) by its code's meaning."""
    if not words:
        return ""
    return _(ADVICE[words]) if words in ADVICE else wechat_error(words)


# check's problems (English, shared with the command line) -> the console's words: what the editor lists most
_Q = r"'(?P<{}>(?:[^'\\]|\\.)*)'|\"(?P<{}_>(?:[^\"\\]|\\.)*)\""  # a Python repr of a str: 'x' or "it's"
PROBLEMS = tuple((re.compile(pattern.format(**{key: _Q.format(key, key) for key in ("name", "src", "url", "heading")})),
                  words) for pattern, words in (
    (r"^item (?:{name}) has no source link\.$", N_("Item “%(name)s” has no source link.")),
    (r"^item (?:{name}) has no English translation\.$", N_("Item “%(name)s” has no English translation.")),
    (r"^item (?:{name}) has no Chinese text\.$", N_("Item “%(name)s” has no Chinese text.")),
    (r"^item (?:{name}) has no English headline\.$", N_("Item “%(name)s” has no English headline.")),
    (r"^item (?:{name}) has no Chinese headline\.$", N_("Item “%(name)s” has no Chinese headline.")),
    (r"^item (?:{name}) has no English body\.$", N_("Item “%(name)s” has no English text.")),
    (r"^the Chinese part of (?:{name}) looks like English\.$", N_("The Chinese part of “%(name)s” looks like English.")),
    (r"^the English part of (?:{name}) looks like Chinese\.$", N_("The English part of “%(name)s” looks like Chinese.")),
    (r"^the English headline comes before the Chinese one\.$", N_("The English headline comes before the Chinese one.")),
    (r"^this item has two headlines but no '---' line between its Chinese and English text\.$",
     N_("This item has two headlines but no “---” line between its Chinese and English text.")),
    (r"^the issue has no sections\.$", N_("The issue has no sections.")),
    (r"^the text is (?P<length>[\d,]+) characters long; an issue holds at most (?P<most>[\d,]+)\.$",
     N_("The text is %(length)s characters long; an issue holds at most %(most)s.")),
    (r"^section (?:{heading}) has no items\.$", N_("Section “%(heading)s” has no items.")),
    (r"^source (?:{url}) of (?:{name}) is not a web link\.$", N_("The source “%(url)s” of “%(name)s” is not a web link.")),
    (r"^(?:image|cover) file (?:{src}) does not exist\.$", N_("The image file “%(src)s” does not exist.")),
    (r"^(?:image|cover) (?:{src}) is not a file\.$", N_("“%(src)s” is not an image file.")),
    (r"^(?:image|cover) (?:{src}) cannot be read as an image \(.*\)\.$", N_("“%(src)s” cannot be read as an image.")),
    (r"^(?:image|cover) (?:{src}) is on another site; it is downloaded when pushed\.$",
     N_("“%(src)s” is on another site: it is downloaded when the issue is pushed.")),
    (r"^publish_at .* is in the past\.$", N_("The publish time has passed.")),
    (r"^ASCII punctuation in Chinese text: (?P<where>.*) \(and (?P<more>\d+) more\)\.$",
     N_("ASCII punctuation in Chinese text: %(where)s (and %(more)s more).")),
    (r"^ASCII punctuation in Chinese text: (?P<where>.*)\.$", N_("ASCII punctuation in Chinese text: %(where)s.")),
    (r"^WeChat shows no digest for a multi-article draft\.$", N_("WeChat shows no digest for a multi-article draft.")),
    (r"^no section headings found \(lines like .*\)\.$",
     N_("No section headings were found (lines such as “国内要闻 Domestic News”): this does not look like the "
        "newsletter.")),
    (r"^no issue number found in the masthead\.$", N_("No issue number was found in the first lines.")),
    (r"^no issue date found in the masthead\.$", N_("No issue date was found in the first lines.")),
    (r"^the file is empty\.$", N_("The file is empty.")),
))
HINTS = {hint: hint for hint in (
    N_("Add a line 'Source: [name](https://…)' at the end of the item."),
    N_("Add an English headline ('## …' right under the Chinese one), '---', and the English text."),
    N_("Add the Chinese headline above the English one and the Chinese text above '---'."),
    N_("Add '## English headline' right under the Chinese headline."),
    N_("Add '## 中文标题' right above the English headline."),
    N_("Add the English text after the '---' line."),
    N_("Check that '---' sits between the Chinese and the English text."),
    N_("Write the Chinese headline first; they were swapped."),
    N_("Add a section heading such as '# 国内要闻 | Domestic News' and items under it."),
    N_("Add items ('## headline') or remove the heading."),
    N_("Split it into several issues, or remove what does not belong to it (was a whole document pasted or "
       "imported?)."),
    N_("Write a full link starting with https://."),
    N_("Check the file name; paths are relative to the article file."),
    N_("Link an image file (JPEG, PNG or GIF)."),
    N_("Save it again as JPEG or PNG."),
    N_("Save it next to the article to check it now and to keep the issue self-contained."),
    N_("It will not be scheduled; set a future time or push it by hand."),
    N_("The digest is kept in the file but not sent."),
)}
HINTS.update({  # (the command line's advice -> what the team does instead)
    "Check that the file is a newsletter laid out like docs/article-format.md describes under 'Importing'.":
        N_("Choose the newsletter's PDF or its text: each section starts with a heading line such as “国内要闻 "
           "Domestic News”."),
    "Set 'issue:' in the imported file's front matter.":
        N_("Check that the first lines give the issue's number (such as “第 135 期” or “No. 135”); add it to the "
           "text and import it again."),
    "Set 'date:' in the imported file's front matter.":
        N_("Check that the first lines give the issue's date (such as “2020年4月20日”); add it to the text and "
           "import it again."),
    "Shorten 'author:' (or publisher.author).":
        N_("Shorten “author:” at the top of the article, or ask your admin to shorten the account's author."),
    "Set a shorter 'wechat_title:' in the front matter.": N_("Set a shorter “wechat_title:” at the top of the article."),
    "Shorten 'digest:'.": N_("Shorten “digest:” at the top of the article."),
})
FIELDS = {"title": N_("title"), "author": N_("author"), "digest": N_("digest")}
FIELD_LIMIT = re.compile(r"^the WeChat (?P<field>title|author|digest) (?:{name}) has (?P<chars>\d+) characters, "
                         r"(?P<bytes>\d+) bytes; (?P<why>.*)$".format(name=_Q.format("name", "name")))
LIMIT_WHY = ((re.compile(r"^accounts have reported WeChat refusing more than (.*) \(run"),
              N_("accounts have reported WeChat refusing more than %(limit)s: it may be refused when pushed.")),
             (re.compile(r"^WeChat's documentation allows (.*)\.$"), N_("WeChat's documentation allows %(limit)s.")),
             (re.compile(r"^this account takes (.*) \(measured"), N_("this account takes %(limit)s (measured).")))


def _field_limit(message: str) -> str | None:
    """preflight's "the WeChat author '…' has 7 characters, 21 bytes; …" in the page's language (None: not one)."""
    found = FIELD_LIMIT.match(message)
    why = next(((words, m[1]) for pattern, words in LIMIT_WHY if (m := pattern.match(found["why"]))), None) if found else None
    if why is None:
        return None
    parts = [_("%(count)s characters", count=n) for n in re.findall(r"(\d+) characters", why[1])]
    parts += [_("%(count)s bytes (a Chinese character is 3)", count=n) for n in re.findall(r"(\d+) bytes", why[1])]
    name = _unquoted(found["name"] if found["name"] is not None else found["name_"])
    return _("The WeChat %(field)s “%(name)s” has %(chars)s characters (%(bytes)s bytes); %(why)s",
             field=_(FIELDS[found["field"]]), name=name, chars=found["chars"], bytes=found["bytes"],
             why=_(why[0], limit=_(" and ").join(parts)))


def _unquoted(value: str) -> str:
    """What a Python repr's quotes held, its escapes undone (back\\\\slash, it\\'s)."""
    return re.sub(r"\\(.)", r"\1", value)


def problem_words(message: str, hint: str) -> tuple[str, str]:
    """One of check's problems in the page's language, where it is one the table above knows (else as written)."""
    hint_words = _(HINTS[hint]) if hint in HINTS else hint
    limit = _field_limit(message)
    if limit is not None:
        return limit, hint_words
    for pattern, words in PROBLEMS:
        found = pattern.match(message)
        if found:
            values = {key.rstrip("_"): _unquoted(value) for key, value in found.groupdict().items() if value is not None}
            message = _(words, **values)
            break
    return message, hint_words


# What a shared message's command-line advice means in the console (the team has no terminal): its pattern, and
# what to do here instead. The first that matches is said; the sentence with the command is left out.
CONSOLE_WAYS = (
    (re.compile(r"--force"), N_("To replace the draft edited in WeChat, tick “replace a draft edited in WeChat” "
                                "and push again (WeChat's version is kept).")),
    (re.compile(r"wechat-pub (push|publish)"), N_("Push it from the issue's page.")),
    (re.compile(r"wechat-pub check"), N_("Open the issue in the editor: it lists the problems.")),
    (re.compile(r"wechat-pub mark-"), N_("Mark it sent or published on the issue's page.")),
    (re.compile(r"wechat-pub status"), N_("The issue's page shows where it stands.")),
)
COMMAND = re.compile(r"`?wechat-pub [a-z]|--force|--fix|\bdocs/[\w./-]+")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)")
SENTENCE_END = re.compile(r"(?<=[.;:])\s+|\n\s*hint:\s*")


def wechat_error(message: str) -> str:
    """A message of the shared code: a WeChat code's meaning in the page's language with the code as a detail,
    else the message as a detail after a lead in the page's language. Never a command to type (the sentence is
    replaced by what to do in the console, or who to ask), never an ISO time with its offset (written out)."""
    message = str(message or "")
    found = CODE.search(message)
    if found and int(found.group(1)) in ERRCODES:
        return _("%(meaning)s (WeChat error %(code)s)", meaning=_(ERRCODES[int(found.group(1))]), code=found.group(1))
    if not message:
        return ""
    for pattern, words in FAILURES:
        known = pattern.search(message)
        if known:
            return _(words, **{key: moments(value) for key, value in known.groupdict().items()})
    return _said(message, lead=True)


def _said(message: str, lead: bool) -> str:
    """``message`` without its command-line sentences (what to do in the console instead), its times written
    out; after a "Details:" lead when ``lead``."""
    message = moments(message)
    sentences = [part for part in SENTENCE_END.split(message) if part]
    kept = " ".join(part for part in sentences if not COMMAND.search(part))
    words = _("Details: %(message)s", message=kept) if kept and lead else kept
    if any(COMMAND.search(part) for part in sentences):
        way = next((_(way) for pattern, way in CONSOLE_WAYS if pattern.search(message)), _("Ask your admin."))
        words = f"{words} {way}".strip()
    return words


def moments(text: str) -> str:
    """A recorded text (the audit's details) with its ISO times written as people write them, in the page's zone."""
    return ISO_MOMENT.sub(lambda moment: written(moment.group(0)), str(text or ""))


def failure(lead: str, error) -> str:
    """``lead`` (what failed, in the page's language) and why, from a shared error (:func:`wechat_error`)."""
    if not lead:  # the caller's sentence says what failed: the error's own words follow it
        found = CODE.search(str(error))
        known = (found and int(found.group(1)) in ERRCODES) or any(p.search(str(error)) for p, _w in FAILURES)
        return wechat_error(str(error)) if known else _said(str(error), False)
    return f"{lead} {wechat_error(str(error))}".strip()


def delivery(action: str, tag: str = "") -> str:
    """What a schedule does at its time (a Delivery's action and tag)."""
    if action == "send" and tag:
        return _("send to followers with tag %(tag)s", tag=tag)
    return _(DELIVERY[action]) if action in DELIVERY else action


def plan(action: str, tag: str, publish_at: str | None) -> str:
    """'send to all followers at 2026年12月8日 周二 09:00', in the page's zone and language."""
    if not publish_at:
        return delivery(action, tag)
    return _("%(what)s at %(when)s", what=delivery(action, tag), when=written(publish_at))


def right(capability_right) -> str:
    """One line of what the account may do: allowed (with today's quota), not allowed, or not known."""
    if capability_right.allowed is None:
        return _("not known: WeChat does not say")
    if not capability_right.allowed:
        return _("not allowed: the account is not verified; do it by hand in mp.weixin.qq.com, then mark it here")
    if capability_right.limit:
        return _("allowed; %(remain)s of %(limit)s left today", remain=capability_right.remain,
                 limit=capability_right.limit)
    return _("allowed")


def capability(name: str) -> str:
    return _(CAPABILITIES[name]) if name in CAPABILITIES else name


def init_words(app) -> None:
    for function in (status_name, advice, wechat_error, delivery, plan, right, capability):
        app.add_template_global(function)
    app.add_template_filter(moments, "moments")
    app.add_template_filter(problem_text, "problem")
    app.add_template_filter(stored_problem, "stored_problem")


def stored_problem(line: str) -> str:
    """A problem as an issue's row keeps it ("12: message", "-: message") as a line of the page, in its words."""
    where, _sep, message = line.partition(": ")
    message = problem_words(message, "")[0]
    return _("line %(line)s: ", line=where) + message if where.isdigit() else message


def problem_text(problem) -> str:
    """One of check's problems (a Problem) as a line of the page: where, what and what to do, in its words."""
    message, hint = problem_words(problem.message, problem.hint)
    line = problem.pos.line if problem.pos and problem.pos.line else None
    where = _("line %(line)s: ", line=line) if line else ""
    return f"{where}{message}" + (f" {hint}" if hint else "")
