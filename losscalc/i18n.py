"""Messages in the reader's language: the gettext catalogues shipped in losscalc/locale.

Everything losscalc says in words — errors, hints, notes, the words of an explanation — is
written in English in the code and translated in one place, when it is shown: ``translate``
looks the finished English text up in the catalogue of the chosen language. A catalogue's
msgid is the English template of a message, with ``<name>`` where a value goes (``unknown
loss '<name>'``, as docs/errors.md writes it); the value is carried over into the translation
unchanged, so numbers, names and options read the same in every language.

The language is ``--lang`` (``choose``), else the environment's by gettext's convention:
``LOSSCALC_LANG``, then the first of LANGUAGE (a colon-separated list), LC_ALL, LC_MESSAGES
and LANG that is set. English needs no catalogue, so an English run never opens one. A
language is available when its catalogue is: adding ``locale/LL/LC_MESSAGES/losscalc.mo``
adds the language (CONTRIBUTING.md says how).
"""

from __future__ import annotations

import os

DOMAIN = "losscalc"
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
SOURCE = "en"  # the language of the code's own text
ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's order

_chosen: str | None = None  # --lang of this run; None: the environment's
_catalogues: dict = {}  # language → its loaded catalogue (start-up tests look here)


def available() -> list[str]:
    """The languages losscalc speaks: English and every language with a compiled catalogue."""
    try:
        found = [d for d in os.listdir(LOCALE_DIR)
                 if os.path.isfile(os.path.join(LOCALE_DIR, d, "LC_MESSAGES", DOMAIN + ".mo"))]
    except OSError:
        found = []
    return [SOURCE, *sorted(set(found) - {SOURCE})]


def normal(code: str) -> str:
    """A locale name as a language: ``zh_CN.UTF-8``, ``zh_TW``, ``zh-Hans`` → ``zh``; C and
    POSIX (no language) → ``en``."""
    base = code.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return SOURCE if base in ("c", "posix", "") else base


def from_environment() -> str:
    """The language the environment asks for, by gettext's convention; English when it asks
    for none losscalc has."""
    wanted = os.environ.get("LOSSCALC_LANG", "")
    if not wanted:
        wanted = next((os.environ[v] for v in ENVIRONMENT if os.environ.get(v)), "")
    languages = None
    for code in wanted.split(":"):
        lang = normal(code)
        if lang == SOURCE:
            return SOURCE
        languages = languages or available()  # list the catalogues only when one is asked for
        if lang in languages:
            return lang
    return SOURCE


def choose(lang: str | None) -> None:
    """Speak ``lang`` from now on (None: the environment's language). The caller checks that
    it is ``available()``."""
    global _chosen
    _chosen = None if lang is None else normal(lang)


def language() -> str:
    return _chosen or from_environment()


def translate(text: str) -> str:
    """``text`` (English, values filled in) in the chosen language; as it is when the
    catalogue has no translation of it."""
    return translate_to(language(), text)


def translate_to(lang: str, text: str) -> str:
    """``text`` in ``lang`` (one of ``available()``)."""
    if lang == SOURCE or not text:
        return text
    return _catalogue(lang).translate(text)


def _catalogue(lang: str):
    if lang not in _catalogues:
        import gettext

        from ._catalogue import Templates, Untranslated

        try:
            _catalogues[lang] = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang],
                                                    class_=Templates)
        except OSError:  # no catalogue (LOSSCALC_LANG names a language losscalc lacks)
            _catalogues[lang] = Untranslated()
    return _catalogues[lang]


def N_(text: str) -> str:
    """Marks ``text`` as one to translate where it is shown (gettext's N_): it is returned as
    it is; scripts/extract_messages.py finds it for the catalogues."""
    return text
