"""`losscalc list`: every command — the losses, the activations of `act`, the measures of
`info`, and the other commands (act, info, backprop, batch, check, compare, list, plot …).

Each entry is one JSON object with the same core keys (``kind``, ``name``, ``aliases``,
``family``, ``formula``, ``reference``, ``summary``, ``usage``); ``kind`` is ``loss``,
``activation``, ``info`` or ``command``, so a script that wants the losses keeps
``kind == "loss"``. The loss objects keep every key they had before the other kinds joined
them (``params``, ``reductions``). A name or alias is the words that follow ``losscalc`` on
the command line — ``ce``, ``act sigmoid``, ``info kl``, ``batch`` — so no two entries share
one (the loss ``kl`` and the measure ``info kl`` stay apart). The other commands are read
from the Typer app itself, so a new command is listed without touching this module.
"""

from __future__ import annotations

import os
import sys

KINDS = ("loss", "activation", "info", "command")

# The one command whose arithmetic fits on a line (the others are tools around the losses).
_COMMAND_FORMULAS = {
    "backprop": "net = W·x + b, out = act(net), E = loss(out, t); p ← p − lr·∂E/∂p",
}


def _first_line(doc: str | None) -> str:
    """The first paragraph of a docstring or help text, on one line."""
    return " ".join((doc or "").strip().split("\n\n", 1)[0].split())


def _losses() -> list[dict]:
    from .registry import all_losses

    return [{"kind": "loss", "name": s.name, "aliases": list(s.aliases), "family": s.family,
             "formula": s.formula, "reference": s.reference, "summary": s.summary,
             "params": [p.name for p in s.params], "reductions": list(s.reductions),
             "usage": f"losscalc {s.name}"}
            for s in all_losses().values()]


def _activations() -> list[dict]:
    from .activations import ACTIVATIONS

    return [{"kind": "activation", "name": f"act {a.name}",
             "aliases": [f"act {alias}" for alias in a.aliases],
             "family": "activation (rows along --dim)" if a.along_axis else "activation",
             "formula": a.formula, "reference": a.reference, "summary": _first_line(a.fn.__doc__),
             "derivative": a.derivative, "params": [p.name for p in a.params],
             "usage": f"losscalc act {a.name} --x …"}
            for a in ACTIVATIONS.values()]


def _measures() -> list[dict]:
    from .info import MEASURES

    return [{"kind": "info", "name": f"info {m.name}",
             "aliases": [f"info {alias}" for alias in m.aliases], "family": "information",
             "formula": m.formula, "reference": m.reference, "summary": _first_line(m.fn.__doc__),
             "usage": f"losscalc info {m.name}" + (" --p … --q …" if m.needs_q else " --p …")}
            for m in MEASURES.values()]


def _commands() -> list[dict]:
    """Every command of the app that is not a loss, as `--help` describes it."""
    import typer

    from .cli import app
    from .registry import all_losses

    group = typer.main.get_command(app)
    losses = set(all_losses())
    rows = []
    with group.make_context("losscalc", ["list"], resilient_parsing=True) as ctx:
        for name in group.list_commands(ctx):
            if name in losses:
                continue
            command = group.get_command(ctx, name)
            with command.make_context(name, [], parent=ctx, resilient_parsing=True) as sub:
                usage = " ".join(["losscalc", name, *command.collect_usage_pieces(sub)])
            rows.append({"kind": "command", "name": name, "aliases": [], "family": "command",
                         "formula": _COMMAND_FORMULAS.get(name, ""), "reference": "",
                         "summary": _first_line(command.help), "usage": usage})
    return rows


def entries(kinds=KINDS) -> list[dict]:
    """The entries of the given kinds, losses first, then activations, measures, commands."""
    makers = {"loss": _losses, "activation": _activations, "info": _measures,
              "command": _commands}
    return [row for kind in KINDS if kind in kinds for row in makers[kind]()]


# Terminal tables: one per kind, with the columns that kind has.
_SECTIONS = {
    "loss": ("Losses", ["name", "aliases", "family", "formula", "reference"]),
    "activation": ("Activations",
                   ["name", "aliases", "formula", "derivative", "reference"]),
    "info": ("Information measures",
             ["name", "aliases", "formula", "reference"]),
    "command": ("Commands (losscalc COMMAND --help for each)", ["name", "usage", "summary"]),
}


def _cell(row: dict, column: str) -> str:
    value = row.get(column, "")
    return ", ".join(value) if isinstance(value, list) else str(value)


def _plain_line(row: dict) -> str:
    """name, aliases, family, formula, reference — for a command: its usage and summary."""
    if row["kind"] == "command":
        fields = [row["name"], "", row["family"], row["usage"], row["summary"]]
    else:
        fields = [_cell(row, c) for c in ("name", "aliases", "family", "formula", "reference")]
    return "\t".join(fields) + "\n"


def print_list(as_json: bool, kinds=KINDS, no_color: bool = False) -> None:
    """JSON (a list of objects), tab-separated lines when piped, else one table per kind."""
    rows = entries(kinds)
    if as_json:
        import json

        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    if not sys.stdout.isatty():
        sys.stdout.write("".join(_plain_line(row) for row in rows))
        return
    from .render.table import print_rows

    no_color = no_color or bool(os.environ.get("NO_COLOR"))
    for kind in kinds:
        title, columns = _SECTIONS[kind]
        print_rows(title, columns, ([_cell(r, c) for c in columns] for r in rows
                                    if r["kind"] == kind), no_color=no_color)


__all__ = ["KINDS", "entries", "print_list"]
