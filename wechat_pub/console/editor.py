"""The editor: an issue's fields as a form above its body's Markdown, a live phone preview that follows the item
being edited, import notes to tick off, and problems that link to the field or line they are on. The article file
keeps its format (:mod:`.article_form` writes the form into its front matter). A text with errors is saved with
its problems listed; one that cannot be saved as the issue (no number, another issue's number) stays on the page as
a draft, its problems listed, and in the browser (the editor's script keeps unsaved changes there). Saving checks
the version the editor opened (optimistic concurrency): a save over someone else's is refused (conflict.html)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wechat_pub.console.base import bp, record, site_of
from wechat_pub.console.words import problem_words
from wechat_pub.errors import WechatPubError
from wechat_pub.limits import AUTHOR_MAX_CHARS, DIGEST_MAX_CHARS, REPORTED, TITLE_MAX_CHARS
from wechat_pub.state.issues import StaleVersion


def article_form():
    """The form's module, loaded with the editor's first page: it reads YAML, which a webhook worker (the same
    process) never needs (tests/test_webhook.py keeps parsers out of it)."""
    from wechat_pub.console import article_form

    return article_form


@bp.get("/<account>/issues/<issue:number>/edit")
def edit(account: str, number: int):
    site = site_of(account)
    site.library.sync()
    row = _row(site, number)
    return _editor(site, row, row.text)


@bp.post("/<account>/issues/<issue:number>/edit")
def save(account: str, number: int):
    site = site_of(account)
    row = _row(site, number)
    text = _composed(site, row.text)
    try:
        saved = site.library.save(row.filename, text, _version(), current_user.name)
    except StaleVersion:
        theirs = site.library.row(number)
        record("save-refused", number, f"version {request.form.get('version')} was stale")
        return render_template("conflict.html", row=theirs, text=text), 409
    except WechatPubError as exc:  # not savable as this issue: kept on the page, as a draft, with why
        refusal = {"field": "issue", "line": None, "severity": "error", "message": exc.message, "hint": exc.hint}
        if not article_form().form_values(text, site.timezone)["issue"]:
            refusal.update(message=_("The issue number is empty."),
                           hint=_("Fill in the issue number (%(number)s), then save.", number=row.number))
        flash(_("Not saved yet: fix the problems listed under the text, then save again. Your changes are kept on "
                "this page and in this browser."), "error")
        return _editor(site, row, text, refusal=refusal), 422
    record("save", number, f"version {saved.version}")
    flash(_("Saved (version %(version)s).", version=saved.version) if saved.valid else
          _("Saved (version %(version)s). It still has errors: see the list under the text.", version=saved.version),
          "ok")
    return redirect(url_for("console.edit", account=account, number=saved.number))


@bp.post("/<account>/issues/<issue:number>/preview")
def form_preview(account: str, number: int):
    """The editor's live preview of the form as it is now (nothing is saved): the page at phone width, light
    and WeChat-dark, and `check`'s problems, each with its field or body line."""
    site = site_of(account)
    text = _composed(site, _row(site, number).text)
    page, problems = checked(site, text)
    return {"page": page, "problems": [_in_words(problem) for problem in article_form().locate(problems, text)]}


@bp.post("/<account>/preview")
def preview(account: str):
    """A whole article's text (JSON ``{"text": ...}``) rendered and checked, as the editor's preview is."""
    site = site_of(account)
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("text", ""), str):
        return {"error": 'send {"text": "the article"} as JSON'}, 400
    page, problems = checked(site, data.get("text", ""))
    return {"page": page, "problems": [{"line": p.pos.line if p.pos and p.pos.line else None, "severity": p.severity,
                                        "message": p.message, "hint": p.hint} for p in problems]}


def checked(site, text: str):
    """(the preview page, or "" when nothing could be rendered; `check`'s problems) for ``text``."""
    from wechat_pub.preflight import check_file
    from wechat_pub.preview import preview_page

    folder = site.articles.path
    draft = folder / f".preview-{uuid.uuid4().hex}.md"  # a hidden file: never taken for an article
    folder.mkdir(parents=True, exist_ok=True)
    draft.write_text(text, encoding="utf-8")
    try:
        now = dt.datetime.fromtimestamp(site.clock.time(), dt.timezone.utc)
        options = site.render_options()
        report = check_file(str(draft), options, site.timezone, now, site.measured_limits)
        page = (preview_page(report.issue, options, site.account_name, rendered=report.rendered)
                if report.rendered else "")
    finally:
        draft.unlink(missing_ok=True)
    named = _("this article")
    return page, [replace(p, message=p.message.replace(str(draft), named)) for p in report.problems]


def _in_words(problem: dict) -> dict:
    """A problem as the editor's page puts it, in the page's language where its words are known (check's are
    English, for the command line); the import notes are a checklist there, not lines to delete."""
    if problem["field"] == "notes":
        return {**problem, "message": _("Import notes are waiting to be reviewed."),
                "hint": _("Add what belongs to the issue to the text, then tick each note off; ticked notes go when "
                          "you save.")}
    message, hint = problem_words(problem["message"], problem["hint"])
    return {**problem, "message": message, "hint": hint}


def _version() -> int:
    """The version the editor was opened on (0 when the form lost it or sent nonsense: then it is stale, and the
    save is refused as a conflict rather than written over whatever is there)."""
    value = request.form.get("version", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0


def _composed(site, base: str) -> str:
    """The article the posted form makes of ``base``."""
    done = {int(value) for value in request.form.getlist("note_done")
            if value.isascii() and value.isdigit() and len(value) < 6}  # an index of the notes, no more
    return article_form().compose(base, request.form, request.form.get("body", ""), done, site.timezone)


def _editor(site, row, text: str, refusal: dict | None = None):
    """The editor's page for ``text`` (the issue's, or a draft the team has not been able to save)."""
    page, problems = checked(site, text)
    located = [_in_words(problem) for problem in article_form().locate(problems, text)
               if not (refusal and problem["field"] == refusal["field"])]  # (said once, by the refusal)
    return render_template("edit.html", row=row, values=article_form().form_values(text, site.timezone),
                           body=article_form().cut(text).body, notes=article_form().import_notes(text), more=article_form().more_fields(text),
                           problems=([refusal] if refusal else []) + located, page=page, deliveries=article_form().DELIVERIES,
                           timezone=site.timezone, names=field_names(), words=words(), unsaved=refusal is not None,
                           limits={"wechat_title": TITLE_MAX_CHARS, "author": AUTHOR_MAX_CHARS,
                                   "author_zh": REPORTED["author"].bytes // 3, "digest": DIGEST_MAX_CHARS})


def field_names() -> dict[str, str]:
    """The form's fields as the page names them (also in the problems' links)."""
    return {"issue": _("Issue number"), "date": _("Date"), "title_zh": _("Chinese title"),
            "title_en": _("English title"), "wechat_title": _("Title in WeChat"), "author": _("Author"),
            "digest": _("Digest"), "cover": _("Cover"), "publish_at": _("Publish time"),
            "deliver": _("At that time"), "notes": _("Import notes"), "more": _("More fields")}


def words() -> dict:
    """What the editor's script writes on the page, in the page's language."""
    return {"fields": field_names(), "line": _("line %(number)s", number="{n}"), "text": _("the text"),
            "updating": _("Updating the preview…"), "upToDate": _("The preview is up to date."),
            "failed": _("The preview could not be updated; your text is safe. Try again in a moment."),
            "count": _("%(errors)s error(s), %(warnings)s warning(s)", errors="{e}", warnings="{w}"),
            "showPreview": _("Show the preview"), "hidePreview": _("Hide the preview")}


def _row(site, number: int):
    from wechat_pub.console.issues import _row as row_of

    return row_of(site, number)
