"""What the commands share: a Typer command built from option declarations, the shared
output options, and the Report and emitter every command prints through (re-exported here for
the command modules).
"""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Annotated, Callable

import typer

from ..errors import UsageError
from ..inputs import read_tensor
from ..render.emit import emit  # noqa: F401  (the command modules' emitter)
from ..report import Report, nested  # noqa: F401
from .options import output_options

# name → (annotation, default, typer.Option): the options every one of these commands takes.
OUTPUT_OPTIONS = output_options()


def command(fn: Callable, options: dict, name: str, help: str) -> typer.Typer:
    """A Typer app of one command whose options are ``options`` (name → (annotation,
    default, typer.Option or typer.Argument)); ``fn`` receives them as keyword arguments,
    enums as their values."""

    def invoke(**kwargs):
        from ..textfiles import files_in

        with files_in(kwargs.get("encoding")):  # every file the command reads whole
            fn({k: v.value if isinstance(v, Enum) else v for k, v in kwargs.items()})

    invoke.__signature__ = inspect.Signature([
        inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default,
                          annotation=Annotated[annotation, info])
        for key, (annotation, default, info) in options.items()
    ])
    invoke.__name__ = name
    invoke.__doc__ = help
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                      rich_markup_mode=None)
    app.command(name)(invoke)
    return app


def tensor(text: str | None, option: str):
    """An option's tensor (None when not given), by the one tensor reader."""
    return None if text is None else read_tensor(text, option, text=True)


def one_stdin(opts: dict, names: list[str]) -> None:
    """At most one tensor option may read standard input ('-')."""
    if sum(1 for n in names if (opts.get(n) or "").strip() == "-") > 1:
        raise UsageError("only one option may read standard input ('-')")


def json_steps(steps) -> list[dict]:
    """The "steps" of docs/contract.md, section 8: every recorded step over the whole tensors."""
    return [{"text": f"{s.name} = {s.formula}", "value": nested(s.value)} for s in steps]
