"""A table of named entries with aliases, for the registries of `act` and `info`.

Names are case-insensitive and `_`/`-` are interchangeable (and may be left out), as for the
losses: `LeakyReLU`, `leaky_relu` and `leaky-relu` are one name. An unknown name is a usage
error that suggests the closest known one.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from .errors import UsageError
from .registry import normalize

Entry = TypeVar("Entry")


class Names(Generic[Entry]):
    """Entries by canonical name (in the order added) and every spelling of their names."""

    def __init__(self, what: str) -> None:
        self.what = what  # "activation", "measure": for the error message
        self.entries: dict[str, Entry] = {}
        self._aliases: dict[str, str] = {}

    def add(self, name: str, aliases, entry: Entry) -> Entry:
        self.entries[name] = entry
        for alias in (name, *aliases):
            key = normalize(alias)
            for spelling in (key, key.replace("-", "")):
                if self._aliases.get(spelling, name) != name:
                    raise ValueError(f"{alias!r} of {name} is taken by {self._aliases[spelling]}")
                self._aliases[spelling] = name
        return entry

    def complete(self, incomplete: str) -> list[tuple[str, str]]:
        """Shell completion: the names a prefix starts (each with its formula), then, once a
        prefix is typed, the other spellings it starts."""
        prefix = normalize(incomplete) if incomplete else ""
        out = [(name, str(getattr(entry, "formula", self.what)))
               for name, entry in self.entries.items() if name.startswith(prefix)]
        if prefix:
            out += [(spelling, f"= {name}") for spelling, name in self._aliases.items()
                    if spelling.startswith(prefix) and spelling not in self.entries]
        return out

    def resolve(self, name: str) -> Entry:
        key = normalize(name)
        found = self._aliases.get(key) or self._aliases.get(key.replace("-", ""))
        if found is not None:
            return self.entries[found]
        import difflib

        guess = difflib.get_close_matches(key, list(self._aliases), n=1, cutoff=0.6)
        raise UsageError(f"unknown {self.what} {name!r}",
                         f"did you mean {self._aliases[guess[0]]!r}?" if guess else
                         "choose one of " + ", ".join(self.entries))
