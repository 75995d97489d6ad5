"""The rows of `losscalc list`: every entry of the name table (names.py) — the losses, the
activations of `act`, the measures of `info`, and the other commands (act, info, backprop,
batch, check, compare, list, plot …).

Each entry is one JSON object with the same core keys (``kind``, ``name``, ``aliases``,
``family``, ``formula``, ``reference``, ``summary``, ``usage``); ``kind`` is ``loss``,
``activation``, ``info`` or ``command``, so a script that wants the losses keeps
``kind == "loss"``. The loss objects keep every key they had before the other kinds joined
them (``params``, ``reductions``). A name or alias is the words that follow ``losscalc`` on
the command line — ``ce``, ``act sigmoid``, ``info kl``, ``batch`` — as the name table has them,
so no two entries share one (the loss ``kl`` and the measure ``info kl`` stay apart). The
rest of each row comes from the entry's spec (formula, reference, parameters); a command's
usage and summary from its help, which the caller passes in. The `list` command
(commands/list.py) reads those from the Typer apps and prints the rows, so this module imports
no command-line or rendering code.
"""

from __future__ import annotations

from .names import NAMES, Name

KINDS = ("loss", "activation", "info", "command")

# The one command whose arithmetic fits on a line (the others are tools around the losses).
_COMMAND_FORMULAS = {
    "backprop": "net = W·x + b, out = act(net), E = loss(out, t); p ← p − lr·∂E/∂p",
}


def _first_line(doc: str | None) -> str:
    """The first paragraph of a docstring or help text, on one line."""
    return " ".join((doc or "").strip().split("\n\n", 1)[0].split())


def _names(entry: Name) -> dict:
    """The words that call the entry, by its name and by each alias."""
    return {"name": entry.words(), "aliases": [entry.words(alias) for alias in entry.aliases]}


def _losses() -> list[dict]:
    from .losses import all_losses

    specs = all_losses()
    rows = []
    for entry in NAMES.entries("loss").values():
        s = specs[entry.name]
        rows.append({"kind": "loss", **_names(entry), "family": s.family, "formula": s.formula,
                     "reference": s.reference, "summary": s.summary,
                     "params": [p.name for p in s.params], "reductions": list(s.reductions),
                     "usage": f"losscalc {entry.words()}"})
    return rows


def _activations() -> list[dict]:
    from .activations import ACTIVATIONS

    rows = []
    for entry in NAMES.entries("activation").values():
        a = ACTIVATIONS[entry.name]
        rows.append({"kind": "activation", **_names(entry),
                     "family": "activation (rows along --dim)" if a.along_axis else "activation",
                     "formula": a.formula, "reference": a.reference,
                     "summary": _first_line(a.fn.__doc__), "derivative": a.derivative,
                     "params": [p.name for p in a.params],
                     "usage": f"losscalc {entry.words()} --x …"})
    return rows


def _measures() -> list[dict]:
    from .info import MEASURES

    rows = []
    for entry in NAMES.entries("info").values():
        m = MEASURES[entry.name]
        rows.append({"kind": "info", **_names(entry), "family": "information",
                     "formula": m.formula, "reference": m.reference,
                     "summary": _first_line(m.fn.__doc__),
                     "usage": f"losscalc {entry.words()}" + (" --p … --q …" if m.needs_q
                                                              else " --p …")})
    return rows


def _commands(described: dict[str, tuple[str, str]]) -> list[dict]:
    """Every command that is not a loss, with the usage and help ``described`` gives it."""
    rows = []
    for entry in NAMES.entries("command").values():
        usage, help_text = described.get(entry.name, (f"losscalc {entry.words()}", ""))
        rows.append({"kind": "command", **_names(entry), "family": "command",
                     "formula": _COMMAND_FORMULAS.get(entry.name, ""), "reference": "",
                     "summary": _first_line(help_text), "usage": usage})
    return rows


def entries(kinds=KINDS, commands: dict[str, tuple[str, str]] | None = None) -> list[dict]:
    """The entries of the given kinds, losses first, then activations, measures, commands.

    ``commands``: each command's usage and help (its --help text) by name; without them a
    command's row has its bare usage and no summary."""
    makers = {"loss": _losses, "activation": _activations, "info": _measures,
              "command": lambda: _commands(commands or {})}
    return [row for kind in KINDS if kind in kinds for row in makers[kind]()]


__all__ = ["KINDS", "entries"]
