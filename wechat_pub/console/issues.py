"""Issues: the list with where each stands, an issue's page (history, schedule, approve, push, publish), and
import (the editor is :mod:`.editor`'s). Actions go through :mod:`wechat_pub.publish.actions` and the library,
as the command line's do, and each is recorded in the audit log."""

from __future__ import annotations

import base64
import binascii

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wechat_pub.console.base import bp, record, refuse, requires, site_of
from wechat_pub.console.events import schedule_detail
from wechat_pub.console.words import failure, problem_text
from wechat_pub.console.words import plan as words_plan
from wechat_pub.errors import NewsletterImportError, WechatPubError
from wechat_pub.state.issues import StaleVersion
from wechat_pub.urls import console_target

ISSUES_PER_PAGE = 100  # newest first: a year of weekly issues on one page; a phone need not draw 2,000 cards


@bp.get("/<account>/")
def issues(account: str):
    from wechat_pub.publish.status import overview_page

    site = site_of(account)
    report = site.library.sync()
    # the page's issues alone, with their last push (shown in the page's zone)
    shown, records, page, total = overview_page(site, request.args.get("page", 1, type=int), ISSUES_PER_PAGE)
    return render_template("issues.html", rows=shown, notes=report.conflicts + report.skipped, records=records,
                           page=page, pages=max(1, -(-total // ISSUES_PER_PAGE)), total=total)


@bp.get("/<account>/issues/<issue:number>")
def issue(account: str, number: int):
    from wechat_pub.console.reach import reach_context
    from wechat_pub.publish.status import overview_of

    site = site_of(account)
    site.library.sync()
    with site.services.db.snapshot():  # one moment: never a send's result beside the state before it
        row = _row(site, number)
        summary = overview_of(site, row)
        events = [_with_who(entry) for entry in site.pushes.history(number)]
        events += [(entry.at, entry.action, entry.user, entry.detail)  # (a phone preview is in both: once)
                   for entry in site.services.audit.recent(100, site.appid, number) if entry.action != "phone-preview"]
        reach = reach_context(site, row, site.library.issue(number))
        record, approval = site.pushes.get(number), site.approvals.get(number)
    return render_template("issue.html", row=row, summary=summary, events=sorted(events, reverse=True),
                           record=record, approval=approval, reach=reach, draft_url=draft_link(site, record))


def _with_who(entry) -> tuple:
    """A history row (when, what, who, detail): who did it, when its detail only names them ("by boss")."""
    from wechat_pub.console.events import BY

    named = BY.match(entry.detail or "")
    return (entry.at, entry.event, named["who"], "") if named else (entry.at, entry.event, "", entry.detail)


def draft_link(site, record) -> str:
    """Where the team sees the issue's draft: the sandbox's page of it, or the real account's draft box."""
    if record is None or not record.draft_media_id or record.state.value not in ("draft", "publishing", "failed"):
        return ""
    if site.uses_sandbox:
        from wechat_pub.console.base import deployment

        return f"{deployment().ensure_sandbox().url}/sandbox/drafts/{record.draft_media_id}"
    return "https://mp.weixin.qq.com/"  # the draft box is behind WeChat's own sign-in: its home opens there


@bp.route("/<account>/import", methods=["GET", "POST"])
def import_page(account: str):
    """Upload a newsletter's PDF or text (or an article in Markdown): what was found is shown before anything is
    saved; a PDF's pictures go with the form (checked again when it is saved)."""
    from wechat_pub.source.article import parse_article
    from wechat_pub.source.importing import is_pdf, pdf_review, read_newsletter_data
    from wechat_pub.source.plaintext import import_plaintext
    from wechat_pub.source.writer import write_article

    site = site_of(account)
    if request.method == "GET":
        return render_template("import.html", found=None)
    upload = request.files.get("newsletter")
    if upload is None or not upload.filename:
        flash(_("Choose a file first: the newsletter's PDF (.pdf) or text (.txt), or an article (.md)."), "error")
        return render_template("import.html", found=None), 400
    data, pictures = upload.read(), []
    if is_pdf(data):
        brand, footer = site.import_brand()
        try:
            result, pdf = read_newsletter_data(upload.filename, data, brand, footer)
        except WechatPubError as exc:
            flash(failure(_("The file could not be read."), exc), "error")
            return render_template("import.html", found=None), 422
        issue, problems, punctuation = result.issue, list(result.problems), ""
        notes = pdf_review(pdf) + result.notes
        article = write_article(issue, str(site.articles.path)) if issue else ""
        pictures = [base64.b64encode(picture.data).decode() for picture in pdf.images]
        return _found(site, upload.filename, issue, notes, problems, article, punctuation, pictures)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(_("%(file)s is not UTF-8 text: export it again as UTF-8.", file=upload.filename), "error")
        return render_template("import.html", found=None), 400
    if text.lstrip().startswith("---"):
        parsed = parse_article(text, upload.filename, site.timezone)
        issue, notes, problems, article, punctuation = parsed.issue, [], list(parsed.problems), text, ""
    else:
        brand, footer = site.import_brand()
        result = import_plaintext(upload.filename, text, brand, footer)
        issue, notes, problems = result.issue, result.notes, list(result.problems)
        punctuation = ", ".join(f"{count} {mark}" for mark, count in sorted(result.punctuation.items()))
        article = write_article(issue, str(site.articles.path)) if issue else ""
    return _found(site, upload.filename, issue, notes, problems, article, punctuation, pictures)


def _found(site, source: str, issue, notes, problems, article: str, punctuation: str, pictures: list[str]):
    """The import page showing what was found in ``source``, or why nothing was."""
    from wechat_pub.source.importing import issue_filename

    if issue is None or not issue.number:
        said = " ".join(problem_text(p) for p in problems if p.severity == "error")
        flash(f'{_("No issue could be read from it.")} {said}'.strip(), "error")
        return render_template("import.html", found=None), 422
    filename = issue_filename(issue.number)
    exists = site.library.row(issue.number)
    record = site.pushes.get(issue.number) if exists else None
    return render_template("import.html", found=issue, notes=notes, problems=problems, article=article,
                           punctuation=punctuation, pictures=pictures,
                           filename=exists.filename if exists and not exists.removed else filename,
                           exists=exists if exists and not exists.removed else None, source=source,
                           gone_out=record is not None and record.state.value in ("published", "sent"))


@bp.post("/<account>/import/save")
def import_save(account: str):
    """Save an imported article as its issue's file: the name comes from the issue number in the text (the form's
    is only checked against it), never over another issue's file; over the same issue's only when asked, keeping
    the file it replaces."""
    from wechat_pub.source.article import parse_article
    from wechat_pub.source.importing import carry_over, keep_backup, put_back, write_pictures
    from wechat_pub.source.writer import write_article

    site = site_of(account)
    text = request.form.get("text", "").replace("\r\n", "\n")
    new = parse_article(text, str(site.articles.path / "import.md"), site.timezone).issue
    if new is None or not new.number:
        flash(_("The article has no issue number: import the file again."), "error")
        return redirect(url_for("console.import_page", account=account))
    site.library.sync()  # a file put in the folder meanwhile counts
    filename, refusal = import_target(site, new.number, request.form.get("filename", ""))
    if refusal:
        flash(_("Not saved: %(why)s", why=refusal), "error")
        return redirect(url_for("console.import_page", account=account))
    row = site.library.row(new.number)
    version = None
    if row is not None and not row.removed:
        seen = request.form.get("version", "")
        saved_since = seen.isdigit() and int(seen) != row.version  # a colleague's save after this page was read
        if saved_since:
            flash(_("Not saved: %(file)s was saved again (version %(version)s) after this page was read. Open the "
                    "issue to see that version; to import over it, tick “replace it” again.", file=filename,
                    version=row.version), "error")
        elif not request.form.get("replace"):  # what was read stays on the page, the box to tick beside it
            flash(_("%(file)s exists: tick “replace it” to import over it.", file=filename), "error")
        if saved_since or not request.form.get("replace"):
            page = _found(site, filename, new, [], list(parse_article(text, str(site.articles.path / filename),
                                                                      site.timezone).problems), text, "",
                          request.form.getlist("picture"))
            return (page[0] if isinstance(page, tuple) else page), 409
        old = site.library.catalogue().file(new.number)
        merged, carried = carry_over(new, old.issue if old else None)
        backup = keep_backup(site.articles.path / filename, site.articles.path)
        text, version = write_article(merged, str(site.articles.path)), row.version
        flash(_("The file it replaced is kept as %(backup)s; carried over: %(carried)s.", backup=backup.name,
                carried=", ".join(carried) or _("nothing")), "ok")
    def withdraw_approval(paths) -> None:  # an approval covers what the issue shows, pictures too: taken back
        if site.approvals.withdraw(new.number):  # before any of them is written, whether the save then succeeds
            record("unapprove", new.number, ", ".join(path.name for path in paths))
            flash(_("Its pictures changed: the issue needs to be approved again."), "ok")

    try:
        pictures, previous = _pictures(request.form.getlist("picture")), []

        def write_them():  # (under the library's lock; the folder as it was if the save then fails)
            write_pictures(pictures, new.number, site.articles.path, text, before_writing=withdraw_approval,
                           previous=previous)
            return lambda: put_back(previous)

        saved = site.library.save(filename, text, version, current_user.name, before_storing=write_them)
    except (StaleVersion, WechatPubError, OSError) as exc:
        why = (failure("", exc) if isinstance(exc, WechatPubError) else _("someone saved this issue meanwhile.")
               if isinstance(exc, StaleVersion) else _("a picture could not be written (%(why)s).", why=exc))
        flash(_("Not saved: %(why)s Import it again.", why=why), "error")
        return redirect(url_for("console.import_page", account=account))
    record("import", saved.number, filename)
    flash(_("Imported as %(file)s: review it here, then schedule it.", file=filename), "ok")
    return redirect(url_for("console.edit", account=account, number=saved.number))


def _pictures(encoded: list[str]) -> list[bytes]:
    """The pictures a form sent back (base64), as bytes; what is not base64 is refused."""
    try:
        return [base64.b64decode(value, validate=True) for value in encoded]
    except (binascii.Error, ValueError):
        raise NewsletterImportError("A picture of the import is damaged.", "Import the PDF again.") from None


def import_target(site, number: int, asked: str) -> tuple[str, str]:
    """(the file name issue ``number`` is saved as, "" or why it may not be): its own file when it has one, else
    ``issue-<n>.md``; refused when the form asked for another name, or when that file holds another issue."""
    from wechat_pub.source.importing import issue_filename

    row = site.library.row(number)
    own = row.filename if row is not None and not row.removed else None
    filename = own or issue_filename(number)
    if asked and asked != filename:
        return filename, _("the text is issue %(number)s, which is saved as %(file)s, not as %(asked)s. Import the "
                           "file again.", number=number, file=filename, asked=asked)
    if own is None:
        holder = next((other for other in site.library.store.all(texts=False) if other.filename == filename), None)
        if holder is not None or (site.articles.path / filename).exists():
            what = (_("issue %(number)s", number=holder.number) if holder is not None
                    else _("a file that is not an issue of this account"))
            return filename, _("%(file)s holds %(what)s, and this text is issue %(number)s. Check the issue number "
                               "in the text, or ask your admin to rename or remove %(file)s first.", file=filename,
                               what=what, number=number)
    return filename, ""


# ---- actions -------------------------------------------------------------------------------------------


@bp.post("/<account>/issues/<issue:number>/schedule")
def schedule(account: str, number: int):
    """Schedule or move (``at`` given, in the publisher's time zone), or unschedule (``at`` empty)."""
    from wechat_pub.publish.actions import schedule as set_time

    site = site_of(account)
    row = _row(site, number)
    at = request.form.get("at", "").strip().replace("T", " ") or None
    then = (request.form.get("deliver", ""), request.form.get("tag", "").strip()) if "deliver" in request.form else None
    from wechat_pub.publish.deliver import delivery_of

    try:  # (what happens then: issue 23; '' for the account's default)
        done = set_time(site, site.library.path_of(row), at, author=current_user.name, delivery=then)
    except StaleVersion:
        flash(_("Not scheduled: someone saved this issue meanwhile. Look at it again, then schedule it."), "error")
    except WechatPubError as exc:
        flash(failure(_("Not scheduled."), exc), "error")
    else:
        chosen = delivery_of(site, done.issue)
        record("schedule" if done.publish_at else "unschedule", number,
               schedule_detail(chosen.action, chosen.tag, done.publish_at) if done.publish_at else "")
        flash(_("Issue %(number)s is scheduled: %(plan)s.", number=number, plan=words_plan(chosen.action, chosen.tag,
                                                                            done.publish_at))
              if done.publish_at else _("Issue %(number)s is no longer scheduled.", number=number), "ok")
    return redirect(console_target(request.form.get("back")) or url_for("console.issue", account=account, number=number))


@bp.post("/<account>/issues/<issue:number>/approve")
@requires("approver")
def approve(account: str, number: int):
    site = site_of(account)
    row = _row(site, number)
    if request.form.get("version") != str(row.version):  # the approver said yes to what their page showed
        _changed_since_opened(row.version)
    elif not row.valid:
        flash(_("It has errors: fix them before approving it."), "error")
    elif _pictures_refused(site, row):  # an approver says yes to the pictures too: none may be missing
        flash(_("Not approved: a picture it shows is missing or cannot be pushed. Fix the pictures first, then "
                "approve."), "error")
    elif not site.approvals.approve(number, row.text_hash, current_user.name, row.version):  # (saved meanwhile)
        _changed_since_opened(site.library.row(number).version)
    else:
        record("approve", number, f"version {row.version}")
        flash(_("Issue %(number)s (version %(version)s) is approved.", number=number, version=row.version), "ok")
    return redirect(url_for("console.issue", account=account, number=number))


@bp.post("/<account>/issues/<issue:number>/push")
def push(account: str, number: int):
    return _push(account, number, publish=False)


@bp.post("/<account>/issues/<issue:number>/publish")
@requires("approver")
def publish(account: str, number: int):
    return _push(account, number, publish=True)


def _push(account: str, number: int, publish: bool):
    from wechat_pub.publish.actions import issue_of

    site = site_of(account)
    row = _row(site, number)
    try:
        issue = issue_of(site, site.library.path_of(row))
        with site.connect() as connection:
            outcome = site.pusher(connection).push(issue, publish=publish, force=bool(request.form.get("force")))
    except WechatPubError as exc:
        record("publish-failed" if publish else "push-failed", number, exc.message)
        flash(failure(_("Not published.") if publish else _("Not pushed."), exc), "error")
    else:
        what = f"{outcome.action} draft {outcome.media_id}" + (f", publish job {outcome.publish_id}"
                                                             if outcome.publish_id else "")
        record("publish" if publish else "push", number, what)
        if publish:  # published by hand: the pending schedule is moot (issue 23)
            from wechat_pub.publish.actions import unschedule_done

            cleared = unschedule_done(site, site.library.path_of(row), "published by hand",
                                      current_user.name)
            if cleared:
                outcome.notes.append(cleared)
        flash(_("Issue %(number)s is in the draft box.", number=number) if not publish else
              _("Issue %(number)s is being published; the links come when WeChat is done.", number=number), "ok")
        for note in outcome.notes:
            flash(failure(_("Note:"), note), "warning")
        if outcome.wechat_changes:
            flash(failure(_("WeChat changed what was sent."), "; ".join(outcome.wechat_changes[:6])), "warning")
    return redirect(url_for("console.issue", account=account, number=number))


def _changed_since_opened(version: int) -> None:
    flash(_("Not approved: the issue changed since you opened it (its text or pictures; now version %(version)s). "
            "Look at it again, then approve.", version=version), "error")


def _pictures_refused(site, row) -> bool:
    """Whether a picture the issue shows is missing here, or one a push would refuse (as the scheduler judges)."""
    from wechat_pub.preflight import image_errors

    article = site.library.reader.articles_of([row]).get(row.number)
    return bool(article and article.issue and image_errors(article.issue, site.render_options()))


def _row(site, number: int):
    row = site.library.row(number)
    if row is None or row.removed:
        refuse(404, _("There is no issue %(number)s in this account.", number=number))
    return row
