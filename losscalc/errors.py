"""The errors losscalc reports, each with its exit code (docs/contract.md, section 9).

The core raises these; only the CLI edge turns them into a one-line message and an exit code.
"""

from __future__ import annotations

import re
from typing import Callable

from .i18n import N_, translate

# C0 and C1 control characters (ESC, BEL, CR, LF …), DEL, the Unicode line separators, and
# the lone surrogates that stand for bytes that were not UTF-8.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, shown as that byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with its control characters written as escapes (``\\x1b``, ``\\n``): user
    text (a file name, a CSV cell, an id) in a message or a table cell keeps it on one line
    and cannot drive the terminal. Every error message and table cell passes through here."""
    return _CONTROL.sub(_escaped, text)


class LosscalcError(Exception):
    """An error the user can fix: one line of message, an optional hint, an exit code.

    The core names a tensor or parameter by its registry name, never by how a door spells it:
    the message is a template in which each of ``subjects`` appears as ``{name}`` (literal
    braces doubled), and ``loss`` says whose tensors they are. Each door renders it in its own
    vocabulary with ``render(spell)``: the command line as ``--logits``, a batch line as
    ``"pred"``, a Python caller as ``logits=`` (the default).
    """

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, *, loss: str | None = None,
                 subjects: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.template = message
        self.hint = hint
        self.loss = loss
        self.subjects = tuple(subjects)

    def render(self, spell: Callable[[str | None, str], str] | None = None) -> str:
        """The message, each subject spelled by ``spell(loss, name)`` (default: ``name=``), in
        the reader's language (losscalc.i18n: the English text is translated as a whole)."""
        if not self.subjects:
            return printable(translate(self.template))
        spell = spell or keyword
        return printable(translate(self.template.format_map(
            {name: spell(self.loss, name) for name in self.subjects})))

    def one_line(self, spell: Callable[[str | None, str], str] | None = None) -> str:
        """The message and its hint on one line, as a problem's answer shows it."""
        hint = f" (hint: {printable(self.translated_hint)})" if self.hint else ""
        return self.render(spell) + hint

    @property
    def translated_hint(self) -> str | None:
        """The hint in the reader's language."""
        return translate(self.hint) if self.hint else self.hint

    @property
    def message(self) -> str:
        return self.render()

    def __str__(self) -> str:
        return self.message

    def prefixed(self, text: str) -> LosscalcError:
        """A new error of the same kind whose message starts with ``text`` (a location)."""
        if self.subjects:  # the text joins a template: its braces are literal
            text = text.replace("{", "{{").replace("}", "}}")
        return self.reworded(text + self.template)

    def reworded(self, template: str) -> LosscalcError:
        """A new error of the same kind, hint, loss and subjects with another message."""
        err = type(self)(template, self.hint, loss=self.loss, subjects=self.subjects)
        err.exit_code = self.exit_code
        return err


def ref(name: str) -> str:
    """``name`` (a tensor or parameter of the registry) as a subject in a message template."""
    return "{" + name + "}"


def keyword(loss: str | None, name: str) -> str:
    """A subject as a Python caller writes it: ``logits=``, ``delta=``."""
    return f"{name}="


class UsageError(LosscalcError):
    """Unknown command or option, missing or malformed option (exit 2)."""

    exit_code = 2


class InvalidData(LosscalcError):
    """Unparseable number, NaN, shape mismatch, index out of range, … (exit 3)."""

    exit_code = 3


class InputOutputError(LosscalcError):
    """File missing or unreadable, not text, not a valid .npy (exit 4)."""

    exit_code = 4


class CheckFailed(LosscalcError):
    """`--expect` or `--check-grad` did not hold (exit 1)."""

    exit_code = 1


def open_error(path: str, err: OSError) -> InputOutputError:
    """A file that cannot be opened, said in words (every reader of files uses it)."""
    reason = os_reason(err, N_("no such file"))
    return InputOutputError(f"cannot read {path!r}: {reason}")


def write_error(path: str, err: OSError, option: str | None = None) -> InputOutputError:
    """A file that cannot be written, said in words (every writer of files uses it), after
    the option that named it, if one did."""
    reason = os_reason(err, N_("no such directory"))
    if option:
        return InputOutputError(f"{option}: cannot write {path!r}: {reason}")
    return InputOutputError(f"cannot write {path!r}: {reason}")


def os_reason(err: OSError, missing: str = N_("no such file or directory")) -> str:
    """Why the system refused, in the words of every message about a file: ``missing`` for a
    path that does not exist, else the system's reason in lower case."""
    return {
        FileNotFoundError: missing,  # each its own text, translated
        IsADirectoryError: N_("it is a directory"),
        PermissionError: N_("permission denied"),
    }.get(type(err), (err.strerror or str(err)).lower())


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived (losscalc.entry raises it in the main thread): the run
    unwinds — worker processes stopped, temporary files removed — and exits 128 + signum.
    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum


def signal_behind(err: BaseException) -> BaseException | None:
    """The KeyboardInterrupt or Terminated that ``err`` is, or that caused it. A signal that
    lands in ``__set_name__`` while a module's classes are built (NumPy's, at start-up)
    reaches the edge as a RuntimeError whose cause is the signal's exception."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, (KeyboardInterrupt, Terminated)):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


class ReaderGone(BaseException):
    """The reader of standard output went away (`| head -1`): stop quietly, exit 0. Raised
    by the guarded stdout instead of BrokenPipeError, which click would turn into exit 1."""
