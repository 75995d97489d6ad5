"""A gettext catalogue whose msgids may be templates: ``unknown loss '<name>'`` translates
``unknown loss 'msee'``, the value carried over into the translation as it is.

Loaded only when a language other than English is spoken (losscalc.i18n).
"""

from __future__ import annotations

import gettext
import re

# A value in a template: <name>, <option>, <shape> … (a letter first, so that "x <= 0" is text).
PLACEHOLDER = re.compile(r"<([A-Za-z_][^<>]*)>")
# One value: a word, a number, a list of them or a shape ("0, 1, 2", "(2, 3)").
ONE_VALUE = re.compile(r"[^\s,]+(?:, [^\s,]+)*")


class Template:
    """One msgid with values: the regular expression that finds its values in an English
    text, and the translation they are put into."""

    def __init__(self, msgid: str, msgstr: str):
        parts = PLACEHOLDER.split(msgid)
        self.literal = "".join(parts[::2])
        self.names = parts[1::2]
        # A quote around a value is optional, as in docs/errors.md ({name!r} prints them).
        # A value right before another ("<max><ignored>") is one value, else the first would
        # be empty and the second take both.
        self.regex = re.compile("".join(
            (f"({ONE_VALUE.pattern})" if parts[i + 1] == "" and i + 2 < len(parts) else "(.*?)")
            if i % 2 else re.sub(r"\\?['\"]", "['\"]?", re.escape(p))
            for i, p in enumerate(parts)), re.S)
        self.msgstr = msgstr
        # A value that ends the template right after a word ("row <n>") is one value or a
        # phrase the catalogue reads: else "row t is …" would be row number "t is …".
        self.open_end = bool(self.names) and parts[-1] == "" and bool(
            re.search(r"\w $", parts[-3]))

    def fill(self, text: str, translate=lambda value: value) -> str | None:
        """The translation of ``text`` if it is this template's, else None; a value of
        several words (a phrase such as what a mean divides by) is translated by
        ``translate``, a single word (a name, a number) is kept."""
        found = self.regex.fullmatch(text)
        if found is None:
            return None
        values: dict[str, list[str]] = {}
        for name, value in zip(self.names, found.groups()):
            values.setdefault(name, []).append(translate(value) if " " in value else value)
        last = found.groups()[-1] if self.open_end else ""
        if " " in last and not ONE_VALUE.fullmatch(last) and values[self.names[-1]][-1] == last:
            return None  # not this template's text: its end is no value
        # A name used twice gets its values in order; a translation that repeats a value
        # more often than the English text keeps its last value.
        return PLACEHOLDER.sub(lambda m: _take(values, m.group(1), m.group(0)), self.msgstr)


def _take(values: dict[str, list[str]], name: str, unknown: str) -> str:
    queue = values.get(name)
    if not queue:
        return unknown
    return queue.pop(0) if len(queue) > 1 else queue[0]


class Templates(gettext.GNUTranslations):
    """A .mo catalogue that translates whole texts and texts made from templates."""

    def _parse(self, fp):  # gettext.GNUTranslations reads the .mo here into self._catalog
        super()._parse(fp)
        self.templates = sorted(
            (Template(msgid, msgstr) for msgid, msgstr in self._catalog.items()
             if isinstance(msgid, str) and msgstr and PLACEHOLDER.search(msgid)
             and re.search(r"[A-Za-z]", PLACEHOLDER.sub("", msgid))),
            key=lambda t: -len(t.literal))  # the most specific template first

    def translate(self, text: str) -> str:
        """``text`` translated: whole, by a template, or as ``head: tail`` (a location before
        a message: "line 3: …", a loss's name before its note); as it is otherwise."""
        exact = self._catalog.get(text)
        if exact:
            return exact
        for template in self.templates:
            filled = template.fill(text, self.translate)
            if filled is not None:
                return filled
        head, colon, tail = text.partition(": ")
        if colon and tail:
            return self.translate(head) + colon + self.translate(tail)
        return text


class Untranslated(gettext.NullTranslations):
    """A language without a catalogue: every text as it is."""

    def translate(self, text: str) -> str:
        return text
