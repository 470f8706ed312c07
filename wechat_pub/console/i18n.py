"""The console's language: Chinese first, English on a switch. Every string a person reads on the console goes
through Flask-Babel (``_()`` in Python, ``{{ _('...') }}`` in templates) with the English text as the message id;
the Chinese is in the zh_CN message catalogue, ``console/translations/zh_CN/LC_MESSAGES/messages.po``, compiled
to ``messages.mo`` beside it (both committed: an installed package has no build step; a test keeps the two in
step). How to add or change a string: docs/console-i18n.md. The CLI stays English.

Which language a request gets (:func:`request_language`): the signed-in person's own choice (kept in their
profile by the switch on every page), else the choice this browser made before signing in (a cookie), else the
deployment's ``console.language`` (zh_CN unless set). Dates are written as people write them in that language
(:mod:`.dates`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import Babel, Domain
from flask_login import current_user

from wechat_pub.console.base import bp, deployment
from wechat_pub.settings import CONSOLE_LANGUAGES

TRANSLATIONS = Path(__file__).parent / "translations"
COOKIE = "wechat_pub_language"  # the choice of a browser nobody has signed in on yet
COOKIE_SECONDS = 365 * 86400
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}  # each in its own language: the switch's words


@cache
def catalogue(language: str) -> NullTranslations:
    """The console's messages in ``language`` (English: the message ids themselves)."""
    return NullTranslations() if language == "en" else Translations.load(str(TRANSLATIONS), [language])


class CatalogueDomain(Domain):
    """Finds the catalogue by the console's own language code. Babel parses "zh_CN" as zh_Hans_CN (CLDR's likely
    script), and gettext looks for a folder of that name: Flask-Babel's own lookup finds no Chinese at all."""

    def get_translations(self):
        return catalogue(request_language(current_app.config["BABEL_DEFAULT_LOCALE"]))


class ConsoleBabel(Babel):
    @property
    def domain_instance(self):
        return CatalogueDomain(domain=self.domain)


babel = ConsoleBabel()


def init_i18n(app: Flask, default_language: str) -> None:
    """Serve the console in ``default_language`` unless the request chose another (:func:`request_language`)."""
    app.config.update(BABEL_DEFAULT_LOCALE=default_language, BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS))
    babel.init_app(app, locale_selector=lambda: request_language(default_language))
    app.add_template_global(lambda: html_lang(request_language(default_language)), "html_lang")
    app.add_template_global(lambda: request_language(default_language), "page_language")
    app.add_template_global(LANGUAGE_NAMES, "language_names")


def request_language(default_language: str) -> str:
    """This request's language, decided once per request (see the module's docstring)."""
    if "language" not in g:
        g.language = _chosen() or default_language
    return g.language


def _chosen() -> str:
    """The person's (or, before sign-in, the browser's) choice: "" when none, or not one of ours."""
    chosen = ""
    if request and request.path.startswith("/console") and current_user and current_user.is_authenticated:
        chosen = _profiles().language(current_user.name)
    if not chosen and request:
        chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in CONSOLE_LANGUAGES else ""


def choose_language(language: str | None) -> None:
    """This request's language, when the person chose one (an unknown value is ignored: the default stays)."""
    if language in CONSOLE_LANGUAGES:
        g.language = language


def html_lang(language: str) -> str:
    """The page's ``<html lang>``: BCP 47 (zh-CN, en), not Babel's zh_CN."""
    return language.replace("_", "-")


def _profiles():
    from wechat_pub.state.profiles import Profiles

    return Profiles(deployment().services.db, deployment().clock)


@bp.post("/language")
def switch_language():
    """The switch on every page (signed in or not): kept in the person's profile, and in this browser."""
    from wechat_pub.urls import console_target

    language = request.form.get("language", "")
    back = redirect(console_target(request.form.get("back")) or url_for("console.home"))
    if language not in CONSOLE_LANGUAGES:
        return back
    if current_user.is_authenticated:
        _profiles().set_language(current_user.name, language)
    back.set_cookie(COOKIE, language, max_age=COOKIE_SECONDS, httponly=True, samesite="Lax",
                    secure=deployment().secure_cookies, path="/console")
    return back
