"""One table of names: every loss, activation, information measure and command.

Each entry (a ``Name``) has its kind, its canonical name, its aliases, and the words that call
it after ``losscalc`` on the command line: ``ce``, ``act sigmoid``, ``info entropy``, ``batch``.
No two entries share a word: the loss ``kl`` and the measure ``info kl`` stay apart because
their words differ. Names are case-insensitive and ``_``/``-`` are interchangeable (and may be
left out): ``LeakyReLU``, ``leaky_relu`` and ``leaky-relu`` are one name.

Resolving a name, its aliases, "did you mean" across kinds, shell completion, ``losscalc list``
and ``plot`` all read this table.

Where the entries come from:

* The commands, activations and measures are declared below. They are few, and declaring them
  here lets a hint cross kinds (``losscalc sigmoid`` → ``losscalc act sigmoid``) without
  importing the modules that compute them, and keeps this module at the bottom of the layers:
  it imports nothing of losscalc but its errors. ``@activation`` and ``@measure`` read their
  aliases from here.
* The losses are many, and each keeps its aliases in its own ``@loss`` entry (losscalc/losses/).
  ``losses.all_losses()`` loads them, which a loss command does anyway, and then tells the
  table they are complete. A question that needs the losses before that is a programming error
  (RuntimeError), never a wrong answer.

A loss command's lookup is two dict look-ups; difflib is imported only to write a hint.
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple

from .errors import UsageError

KINDS = ("loss", "activation", "info", "command")

# The word before an entry's name on the command line, by kind.
PREFIX = {"loss": "", "activation": "act", "info": "info", "command": ""}

# Name → aliases, in the order `list` and `--help` show them.
ACTIVATIONS: dict[str, tuple[str, ...]] = {
    "sigmoid": ("logistic", "sigma"),
    "tanh": ("hyperbolic-tangent",),
    "relu": ("rectifier",),
    "leaky-relu": ("leakyrelu", "lrelu"),
    "elu": (),
    "gelu": (),
    "softplus": (),
    "silu": ("swish",),
    "softmax": (),
    "log-softmax": ("logsoftmax",),
    "hardmax": ("argmax", "one-hot-argmax"),
}
MEASURES: dict[str, tuple[str, ...]] = {
    "entropy": ("h", "shannon", "shannon-entropy"),
    "cross-entropy": ("ce", "xent", "crossentropy"),
    "kl": ("kl-divergence", "kld", "relative-entropy", "kullback-leibler"),
    "js": ("jsd", "jensen-shannon", "js-divergence"),
}
# Every command but the losses; each is the module losscalc/commands/NAME.py.
COMMANDS: dict[str, tuple[str, ...]] = {
    name: () for name in ("act", "backprop", "batch", "check", "compare", "completions",
                          "exercise", "info", "list", "merge", "plot")
}

CUTOFF = 0.6  # how alike a typo and a name must be for a hint (difflib's ratio)


def normalize(name: str) -> str:
    """Names are case-insensitive and `_`/`-` are interchangeable."""
    return re.sub(r"[-_\s]+", "-", name.strip().lower())


class Name(NamedTuple):
    """One entry of the table: what it is, its canonical name and its other names."""

    kind: str  # "loss", "activation", "info" or "command"
    name: str
    aliases: tuple[str, ...] = ()

    def words(self, spelling: str | None = None) -> str:
        """What follows `losscalc` to call it: "ce", "act sigmoid" (or by an alias)."""
        prefix = PREFIX[self.kind]
        spelling = spelling or self.name
        return f"{prefix} {spelling}" if prefix else spelling

    def call(self) -> str:
        """The whole call, as a hint shows it: 'losscalc act sigmoid'."""
        return f"losscalc {self.words()}"


class NameTable:
    """Entries by kind (in the order added) and, per kind, every spelling of their names."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Name]] = {kind: {} for kind in KINDS}
        self._spellings: dict[str, dict[str, Name]] = {}  # kind → spelling → entry; lazily
        self._complete: set[str] = set()  # kinds whose every entry has been added

    # -- filling it

    def declare(self, kind: str, names: dict[str, tuple[str, ...]]) -> None:
        """Add every entry of a kind at once (the kind is then complete)."""
        for name, aliases in names.items():
            self.add(Name(kind, name, aliases))
        self.completed(kind)

    def add(self, entry: Name) -> Name:
        self._entries[entry.kind][entry.name] = entry
        if entry.kind in self._spellings:  # indexed already: keep the index whole
            self._index_entry(entry)
        return entry

    def completed(self, kind: str) -> None:
        """Every entry of ``kind`` is in (the losses: once losses.all_losses() loaded them)."""
        self._complete.add(kind)

    # -- reading it

    def entries(self, kind: str) -> dict[str, Name]:
        """The entries of ``kind`` by canonical name, in the order added."""
        if kind not in self._complete:
            raise RuntimeError(f"the {kind} names are not loaded yet"
                               + (": call losses.all_losses() first" if kind == "loss" else ""))
        return self._entries[kind]

    def get(self, kind: str, name: str) -> Name:
        """The entry declared for ``name`` (a canonical name) of ``kind``."""
        try:
            return self._entries[kind][name]
        except KeyError:
            raise ValueError(f"{name!r} is not declared in losscalc/names.py as a {kind}; "
                             "add it there") from None

    def lookup(self, word: str, kinds: tuple[str, ...]) -> Name | None:
        """The entry of one of ``kinds`` that ``word`` names (any spelling), or None."""
        key = normalize(word)
        for kind in kinds:
            spellings = self._index(kind)
            found = spellings.get(key) or spellings.get(key.replace("-", ""))
            if found is not None:
                return found
        return None

    def closest(self, word: str, kinds: tuple[str, ...] = KINDS,
                prefer: tuple[str, ...] = ()) -> Name | None:
        """The entry whose name is most like ``word``, of any of ``kinds``: for "did you
        mean". An exact name of another kind beats a near one of ``prefer``'s kinds; between
        equally close names, ``prefer``'s kinds win (the kinds the word was asked as)."""
        from difflib import SequenceMatcher

        key = normalize(word)
        matcher = SequenceMatcher(b=key)
        best, best_score = None, (0.0, False)
        for kind in kinds:
            for spelling, entry in self._index(kind).items():
                matcher.set_seq1(spelling)
                if matcher.real_quick_ratio() < CUTOFF or matcher.quick_ratio() < CUTOFF:
                    continue
                score = (matcher.ratio(), kind in prefer)
                if score[0] >= CUTOFF and score > best_score:
                    best, best_score = entry, score
        return best

    def complete(self, kind: str, incomplete: str) -> list[tuple[str, Name]]:
        """Shell completion: the canonical names ``incomplete`` starts, then, once something
        is typed, the aliases it starts, each with its entry."""
        prefix = normalize(incomplete) if incomplete else ""
        entries = self.entries(kind).values()
        out = [(e.name, e) for e in entries if e.name.startswith(prefix)]
        if prefix:
            out += [(alias, e) for e in entries for alias in e.aliases if alias.startswith(prefix)]
        return out

    # -- the index of spellings

    def _index(self, kind: str) -> dict[str, Name]:
        if kind not in self._spellings:
            entries = self.entries(kind)
            self._spellings[kind] = {}
            for entry in entries.values():
                self._index_entry(entry)
        return self._spellings[kind]

    def _index_entry(self, entry: Name) -> None:
        """Each spelling of ``entry``, also without dashes; a word may call one entry only,
        across every kind that shares its prefix (a loss alias cannot be `batch`)."""
        rivals = [k for k in self._spellings if PREFIX[k] == PREFIX[entry.kind]]
        for alias in (entry.name, *entry.aliases):
            key = normalize(alias)
            for spelling in (key, key.replace("-", "")):
                for kind in rivals:
                    taken = self._spellings[kind].get(spelling)
                    if taken is not None and taken != entry:
                        raise ValueError(f"{entry.words(alias)!r} of {entry.kind} {entry.name} "
                                         f"is taken by {taken.kind} {taken.name}")
                self._spellings[entry.kind][spelling] = entry


NAMES = NameTable()
NAMES.declare("command", COMMANDS)
NAMES.declare("activation", ACTIVATIONS)
NAMES.declare("info", MEASURES)


def hint(word: str, kinds: tuple[str, ...], asked_as: tuple[str, ...], otherwise: str,
         bare: bool = True) -> str:
    """ "did you mean …?" for a ``word`` that named no entry of ``asked_as``, the kinds it was
    asked as. A close name of those kinds is shown as it would be typed there ('sigmoid' after
    `act`; with ``bare`` False, as its whole call); a name of another kind as its whole call
    ('losscalc act sigmoid'). ``otherwise`` when nothing is close."""
    found = NAMES.closest(word, kinds, prefer=asked_as)
    if found is None:
        return otherwise
    shown = found.name if bare and found.kind in asked_as else found.call()
    return f"did you mean {shown!r}?"


def resolve_entry(word: str, kind: str, what: str, entries: dict, load_losses: Callable):
    """The entry of ``entries`` (by canonical name) that ``word`` means as a ``kind``; else a
    usage error "unknown ``what``" whose hint is the closest name of any kind (`act focal` →
    'losscalc focal'), with the losses loaded (``load_losses``) so that they can be hinted."""
    found = NAMES.lookup(word, (kind,))
    if found is not None:
        return entries[found.name]
    load_losses()
    raise UsageError(f"unknown {what} {word!r}",
                     hint(word, KINDS, (kind,), "choose one of " + ", ".join(entries)))


def complete_entry(kind: str, incomplete: str, entries: dict) -> list[tuple[str, str]]:
    """Shell completion of a ``kind``'s names: each name with its entry's formula, then (once a
    prefix is typed) the aliases it starts, each with the name it stands for."""
    return [(spelling, entries[e.name].formula if spelling == e.name else f"= {e.name}")
            for spelling, e in NAMES.complete(kind, incomplete)]


__all__ = ["ACTIVATIONS", "COMMANDS", "KINDS", "MEASURES", "NAMES", "Name", "NameTable",
           "PREFIX", "complete_entry", "hint", "normalize", "resolve_entry"]


def listed(text: str, resolve: Callable[[str], tuple[str, object]],
           repeats: bool = False) -> list:
    """Comma-separated names (aliases allowed), in order: ``resolve`` gives each one's
    canonical name and entry (and raises for a name it does not know); an entry listed
    twice, under any of its names, is an error (``repeats``: kept once, as exercise's set
    asks each loss once however it is named). For compare, plot and exercise alike."""
    entries: list = []
    for name in (n.strip() for n in text.split(",")):
        if not name:
            continue
        canonical, entry = resolve(name)
        if entry in entries and repeats:
            continue
        if entry in entries:
            raise UsageError(f"{canonical} is listed twice" + (
                f" ({name!r} is another name for it)" if name != canonical else ""))
        entries.append(entry)
    return entries
