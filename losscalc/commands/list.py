"""`losscalc list`: every entry of the name table — as JSON, tab-separated lines when piped,
or one table per kind in a terminal. The rows come from listing.entries(); this module adds
the commands' usage and summary (read from their Typer apps) and prints."""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from ..listing import KINDS, entries
from ..names import NAMES
from ..typer_compat import click_command
from .common import command
from .options import choice, lang_option

Kind = choice("Kind", (*KINDS, "all"))

OPTIONS = {
    "as_json": (bool, False, typer.Option(
        "--json", help='A JSON list, one object per entry with its "kind" (the losses unless '
                       '--kind says otherwise).')),
    "kind": (Optional[list[Kind]], None, typer.Option(
        "--kind", "-k", help="Only entries of this kind (repeatable); all: every kind "
                             "[default: all in a terminal's tables, loss for --json and "
                             "pipes].")),
    "no_color": (bool, False, typer.Option(
        "--no-color", help="No colour (NO_COLOR does the same).")),
    **lang_option(),
}

HELP = """Every command: losses, activations (act), measures (info) and the other commands.

Each with its aliases, family, formula and reference. A terminal shows every kind; for
scripts (--json, or piped) the list is the losses, one per loss as it always was, unless
--kind asks for more.

\b
Piped, one tab-separated line per entry: name, aliases, family, formula,
reference (for a command: its usage and summary).

\b
Examples:
  losscalc list
  losscalc list --json
  losscalc list --kind all --json"""


def described_commands() -> dict[str, tuple[str, str]]:
    """Each command of the name table (not the losses): its usage and help, as Typer builds
    them for `losscalc COMMAND --help` (each is the app of losscalc/commands/NAME.py)."""
    import importlib

    out = {}
    for name in NAMES.entries("command"):
        cmd = click_command(app if name == "list" else
                            importlib.import_module(f"{__package__}.{name}").app)
        with cmd.make_context(name, [], resilient_parsing=True) as ctx:
            out[name] = (" ".join(["losscalc", name, *cmd.collect_usage_pieces(ctx)]),
                         cmd.help or "")
    return out


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
    rows = entries(kinds, described_commands() if "command" in kinds else {})
    if as_json:
        import json

        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    if not sys.stdout.isatty():
        sys.stdout.write("".join(_plain_line(row) for row in rows))
        return
    from ..render.table import print_rows

    no_color = no_color or bool(os.environ.get("NO_COLOR"))
    for kind in kinds:
        title, columns = _SECTIONS[kind]
        print_rows(title, columns, ([_cell(r, c) for c in columns] for r in rows
                                    if r["kind"] == kind), no_color=no_color)


def list_entries(opts: dict) -> None:
    chosen = {kind.value for kind in opts["kind"] or ()}
    if "all" in chosen or (not chosen and not opts["as_json"] and sys.stdout.isatty()):
        kinds = KINDS
    else:
        kinds = tuple(k for k in KINDS if k in chosen) or ("loss",)
    print_list(opts["as_json"], kinds, opts["no_color"])


app = command(list_entries, OPTIONS, "list", HELP)
