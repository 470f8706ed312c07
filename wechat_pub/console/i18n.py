"""The console's language: Chinese first, English on a switch. Every string a person reads on the console goes
through Flask-Babel (``_()`` in Python, ``{{ _('...') }}`` in templates) with the English text as the message id;
the Chinese is in the zh_CN message catalogue, ``console/translations/zh_CN/LC_MESSAGES/messages.po``, compiled
to ``messages.mo`` beside it (both committed: an installed package has no build step; a test keeps the two in
step). How to add or change a string: docs/console-i18n.md. The CLI stays English.

Which language a request gets: the signed-in person's own choice (kept by the switch), else the deployment's
``console.language`` (zh_CN unless set)."""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from babel.support import Translations
from flask import Flask, g
from flask_babel import Babel, Domain

from wechat_pub.settings import CONSOLE_LANGUAGES

TRANSLATIONS = Path(__file__).parent / "translations"


class Catalogues(Domain):
    """The console's catalogues, each found by its folder's name (zh_CN). Flask-Babel would ask gettext for the
    locale's full name, and Babel calls zh_CN zh_Hans_CN (its own data's name): gettext then looks under
    zh_Hans_CN/ and zh/, finds nothing, and every page stays English."""

    def get_translations_cache(self, ctx):
        if not self.cache:
            for language in CONSOLE_LANGUAGES:
                self.cache[str(Locale.parse(language)), self.domain[0]] = Translations.load(str(TRANSLATIONS),
                                                                                            [language])
        return self.cache


babel = Babel()
babel.domain_instance = Catalogues(str(TRANSLATIONS))


def init_i18n(app: Flask, default_language: str) -> None:
    """Serve the console in ``default_language`` unless the request chose another (:func:`choose_language`)."""
    app.config.update(BABEL_DEFAULT_LOCALE=default_language, BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS))
    babel.init_app(app, locale_selector=lambda: g.get("language") or default_language)
    app.add_template_global(lambda: html_lang(g.get("language") or default_language), "html_lang")


def choose_language(language: str | None) -> None:
    """This request's language, when the person chose one (an unknown value is ignored: the default stays)."""
    if language in CONSOLE_LANGUAGES:
        g.language = language


def html_lang(language: str) -> str:
    """The page's ``<html lang>``: BCP 47 (zh-CN, en), not Babel's zh_CN."""
    return language.replace("_", "-")
