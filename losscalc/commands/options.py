"""Options that mean the same on every command, declared once.

Each declaration is ``name → (annotation, default, typer.Option)``, the form from which
``commands.common.command`` and the generated loss commands build a signature Typer reads.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Optional

import typer

from ..tape import DTYPES

TENSOR_HELP = ("A tensor: 1,2,3 · '1,2; 3,4' · JSON · @file.npy / .npz:KEY / .json / "
               ".csv[:COLUMN] · - (stdin).")
FORMATS = ("table", "plain", "json", "csv", "markdown", "latex", "html")


@lru_cache(maxsize=None)
def choice(name: str, values: tuple[str, ...]) -> type[Enum]:
    """An Enum Typer shows as a choice (one class per name, so it is built once)."""
    return Enum(name, {v: v for v in values})


def option(annotation, default, *names: str, help: str, metavar: str | None = None, **limits):
    """One declaration: ``(annotation, default, typer.Option(...))``."""
    return annotation, default, typer.Option(*names, help=help, metavar=metavar, **limits)


def param_option(param, help: str) -> tuple:
    """A parameter as an option of its own, read as text by ``Param.read`` (so a bad value
    gets the same message as from every other door); None when not given. A bool is a pair
    of flags, a choice completes its values."""
    if param.kind == "bool":
        return Optional[bool], None, typer.Option(param.option, help=help)
    complete = (lambda: list(param.choices)) if param.choices else None
    return Optional[str], None, typer.Option(param.option, metavar=param.metavar, help=help,
                                             autocompletion=complete)


def param_options(specs, taken=(), *, own: bool = False) -> dict:
    """One option per parameter of ``specs`` (losses or activations) that is not ``taken``;
    the first entry's Param declares it. Shared by several entries, its help names those that
    take it; ``own`` (each parameter belongs to one entry, whose help names it): its default."""
    owners: dict = {}
    for spec in specs:
        for p in spec.params:
            if p.name not in taken:
                owners.setdefault(p.name, (p, []))[1].append(spec.name)
    return {name: param_option(p, f"{p.help[:1].upper()}{p.help[1:]} "
                                  + (f"[default: {p.default}]." if own else f"({', '.join(users)})."))
            for name, (p, users) in owners.items()}


def read_params(params, opts: dict) -> dict:
    """The values of the parameter options given (by name), each read by its Param."""
    return {p.name: p.read(opts[p.name], p.option) for p in params
            if opts.get(p.name) is not None}


def lang_option() -> dict:
    """--lang, which every command takes. cli.main reads it before the command line is parsed
    (so that even a parsing error is in the language asked for): this declaration gives it its
    help and its place among the options."""
    return {"lang": option(Optional[str], None, "--lang", metavar="LANG",
                           help="Language of explanations, notes, hints and errors: en, zh "
                                "[default: the environment's: LOSSCALC_LANG, else LANGUAGE, "
                                "LC_ALL, LC_MESSAGES, LANG]. Numbers and output forms are "
                                "the same in every language.")}


def encoding_option() -> dict:
    """--encoding, for every command that reads text files (@FILE, tables, batch and check
    files, partial sums): one encoding for all the files of the command."""
    return {"encoding": option(Optional[str], None, "--encoding", metavar="NAME",
                               help="Text encoding of the files read (@FILE, tables, …): "
                                    "gb18030 (Excel's and Notepad's Chinese), utf-16, "
                                    "cp1252, … [default: UTF-8; UTF-16/UTF-32 with a byte "
                                    "order mark are detected].")}


def output_options(formats: tuple[str, ...] = FORMATS) -> dict:
    """The options of every command that prints a result."""
    dtype = choice("Dtype", DTYPES)
    fmt = choice("Format" if formats == FORMATS else f"Format_{'_'.join(formats)}", formats)
    return {
        "dtype": option(dtype, dtype("float64"), "--dtype", help="Computation precision."),
        "format": option(Optional[fmt], None, "--format", "-f",
                         help="Output form [default: table on a terminal, plain otherwise]"
                              + ("; markdown and latex write the explanation for notes."
                                 if "latex" in formats else ".")),
        "json": option(bool, False, "--json", help="Same as --format json."),
        "explain": option(bool, False, "--explain", help="Print the step-by-step arithmetic."),
        "expect": option(Optional[str], None, "--expect", metavar="VALUE",
                         help="Exit 1 unless the value is within --tol of this (a number, or "
                              "as many numbers as values)."),
        "tol": option(float, 1e-6, "--tol", min=0.0,
                      help="Tolerance for --expect (absolute or relative)."),
        "digits": option(int, 6, "--digits", min=1, max=17,
                         help="Significant digits in tables and explain (1 to 17)."),
        "all": option(bool, False, "--all",
                      help="Do not truncate long tables and explanations."),
        "no_color": option(bool, False, "--no-color",
                           help="No colour (NO_COLOR does the same)."),
        "quiet": option(bool, False, "--quiet", "-q", help="No notes on stderr."),
        **lang_option(),
    }
