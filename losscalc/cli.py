"""The command line: a Typer app whose loss commands are generated from the registry.

Only the command that was asked for is built (a lazy group), rich is imported only to print
a table, and every LosscalcError or click usage error becomes one line on stderr with the exit
code of docs/contract.md#9-errors-and-exit-codes at this edge — never a traceback.
"""

from __future__ import annotations

import inspect
import os
import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from . import __version__
from .commands.options import TENSOR_HELP, choice, option, output_options
from .errors import CheckFailed, LosscalcError, UsageError
from .losses import all_losses, option_spelling
from .names import KINDS, NAMES, hint
from .registry import LOSSES, LossSpec
from .typer_compat import (
    ClickException,
    CompletionItem,
    TyperGroup,
    click_command,
    command_from_function,
    plain_completion_help,
)

# ---------------------------------------------------------------------------------------------
# Generating one command per loss


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _tensor_options(spec: LossSpec) -> dict:
    tensors = spec.tensors
    return {t.name: option(Optional[str], None, *t.options, metavar="TENSOR",
                   help=_sentence(t.help) + (f" {TENSOR_HELP}" if t is tensors[0] else ""))
            for t in tensors}


# Numbers are declared as text and read by Param.read (run.run_loss), so `--delta x` gets the
# message every door gives; --help still shows NUMBER or INTEGER and the default.
_PARAM_TYPES = {"float": str, "int": str, "bool": bool, "tensor": Optional[str]}
_METAVARS = {"float": "NUMBER", "int": "INTEGER", "tensor": "TENSOR"}


def _param_options(spec: LossSpec) -> dict:
    out = {}
    for p in spec.params:
        out[p.name] = option(_PARAM_TYPES[p.kind], p.default, p.option, help=_sentence(p.help),
                           metavar=_METAVARS.get(p.kind))
    return out


def _table_options(spec: LossSpec) -> dict:
    return {
        # --csv is the older name of --table (the key stays "csv" for the code that reads it).
        "csv": option(Optional[str], None, "--table", "--csv", metavar="FILE|DIR|GLOB|-",
                    help="Read a table: CSV/TSV, .parquet, .arrow/.feather, or a folder or "
                         "glob of them as one dataset (those need losscalc[fast]); - for "
                         "standard input, also read when no tensor option is given and stdin "
                         "is a pipe. Large tables stream."),
        "pred_col": option(Optional[str], None, "--pred-col", metavar="COLUMNS",
                         help="Prediction column(s): name or 0-based index, a,b · 2:12 · "
                              "logit_* [default: pred/logits*/probs*…, else the first]."),
        "target_col": option(Optional[str], None, "--target-col", metavar="COLUMNS",
                           help="Target column(s) [default: target/label/y…, else the last]."),
        "weight_col": option(Optional[str], None, "--weight-col", metavar="COLUMN",
                           help="Per-sample weights (bce, bce-logits)."),
        "no_header": option(bool, False, "--no-header",
                          help="The first row is data [default: detected]."),
        "delimiter": option(Optional[str], None, "--delimiter", metavar="CHAR",
                          help="Field separator: , ; tab whitespace [default: detected]."),
        "skip_bad_rows": option(bool, False, "--skip-bad-rows",
                              help="Skip unreadable rows (their count goes to stderr)."),
        "partial": option(bool, False, "--partial",
                          help="Print the table's exact partial sums as JSON, for "
                               "`losscalc merge` (a shard of a larger table)."),
    }


def _common_options(spec: LossSpec) -> dict:
    reduction = choice(f"Reduction_{len(spec.reductions)}", spec.reductions)
    return {
        "reduction": option(reduction, reduction("mean"), "--reduction", "-r",
                          help="How to reduce the per-element losses (as PyTorch)."),
        **output_options(),
        "check_grad": option(bool, False, "--check-grad",
                           help="Compare the gradient with central differences; exit 1 if "
                                "they disagree."),
    }


def _help(spec: LossSpec) -> str:
    aliases = ", ".join(spec.aliases)
    return "\n\n".join(
        part for part in (
            spec.summary,
            f"\b\nFormula:   {spec.formula}\nReference: {spec.reference}"
            + ("  (PyTorch semantics: defaults, reductions, clamps)"
               if spec.reference.startswith("torch") else ""),
            "\b\n" + spec.details if spec.details else "",
            f"\b\nExample:\n  {spec.example}",
            f"Aliases: {aliases}." if aliases else "",
        ) if part
    )


def loss_command(spec: LossSpec):
    """A function whose generated signature Typer turns into the loss's command."""
    options = {**_tensor_options(spec), **_param_options(spec),
               **(_table_options(spec) if spec.single_prediction else {}),
               **_common_options(spec)}

    def command(**kwargs):
        from .commands.loss import run_loss

        run_loss(spec, {k: v.value if isinstance(v, Enum) else v for k, v in kwargs.items()})

    command.__signature__ = inspect.Signature([
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                          annotation=Annotated[annotation, info])
        for name, (annotation, default, info) in options.items()
    ])
    command.__name__ = spec.name.replace("-", "_")
    command.__doc__ = _help(spec)
    return command


# The commands of the name table live in modules of their own, losscalc/commands/NAME.py, each
# exposing a Typer ``app``: imported and built only when invoked, so a loss command never pays
# for them.
SUBCOMMANDS: dict[str, str] = {name: f"losscalc.commands.{name}"
                               for name in NAMES.entries("command")}


def _one_line(text: str, width: int = 70) -> str:
    """``text`` on one line, cut at a word to at most ``width`` characters (… where cut);
    apostrophes typographic, as zsh drops a plain one (quoted '' by Typer before this)."""
    text = " ".join(text.split()).replace("''", "’").replace("'", "’")
    if len(text) <= width:
        return text
    return text[:width - 1].rsplit(" ", 1)[0].rstrip(" ,:;") + "…"


def _plain_completion_help() -> None:
    """Typer renders the help shown beside zsh/fish/PowerShell candidates through rich at 80
    columns: "[default: …]" vanishes as markup and a long help wraps, leaving its tail as a
    candidate line. Show it as plain text on one short line instead."""
    plain_completion_help(_one_line)


class LossGroup(TyperGroup):
    """Builds a command only when it is invoked. The name table (names.py) says what a word
    calls: a command, or a loss by any of its names."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._built: dict = {}  # name → command: resolving a call asks for it twice

    def list_commands(self, ctx):
        return sorted(NAMES.entries("command")) + sorted(all_losses())

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is None:
            if name not in self._built:
                self._built[name] = self._build(name)
            command = self._built[name]
        return command

    def _build(self, name: str):
        all_losses()
        entry = NAMES.lookup(name, ("command", "loss"))
        if entry is None:
            return None
        if entry.kind == "command":
            import importlib

            sub = click_command(importlib.import_module(SUBCOMMANDS[entry.name]).app)
            sub.name = entry.name
            return sub
        spec = LOSSES[entry.name]
        return command_from_function(spec.name, loss_command(spec), spec.summary)

    def shell_complete(self, ctx, incomplete):
        """Commands and options as usual, and, once a prefix is typed, the loss aliases it
        starts (`cross<TAB>` → cross-entropy, crossentropyloss)."""
        results = super().shell_complete(ctx, incomplete)
        if not incomplete or not incomplete[0].isalnum():
            return results
        all_losses()
        shown = {item.value for item in results}
        for spelling, entry in NAMES.complete("loss", incomplete):
            if spelling != entry.name and spelling not in shown:
                shown.add(spelling)
                results.append(CompletionItem(spelling, help=f"= {entry.name}"))
        return results

    def resolve_command(self, ctx, args):
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            raise UsageError(f"unknown command {args[0]!r}",
                             hint(args[0], KINDS, ("command", "loss"),
                                  "run 'losscalc list' to see every loss", bare=False))
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=LossGroup,
    name="losscalc",
    help="Compute a loss, its per-element values and its gradient — and show why.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool):
    if value:
        typer.echo(f"losscalc {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
):
    """Compute a loss, its per-element values and its gradient — and show why.

    Run 'losscalc list' for every loss, 'losscalc LOSS --help' for one.
    """


# ---------------------------------------------------------------------------------------------
# The edge: errors to one line and an exit code


def _error(message: str, hint: str | None = None) -> None:
    sys.stderr.write(f"losscalc: error: {message}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (docs/contract.md, section 9)."""
    argv = sys.argv[1:] if argv is None else argv
    if "_LOSSCALC_COMPLETE" in os.environ:
        _plain_completion_help()
    try:
        command = click_command(app)
        rv = command.main(args=argv or ["--help"], prog_name="losscalc", standalone_mode=False)
        if rv == 130:  # Typer turns Ctrl-C into a silent Exit(130): say it, as below
            raise KeyboardInterrupt
        return rv if isinstance(rv, int) else 0
    except CheckFailed as err:
        sys.stderr.write(f"losscalc: {err.render(option_spelling)}\n")
        return err.exit_code
    except LosscalcError as err:
        _error(err.render(option_spelling), err.hint)
        return err.exit_code
    except ClickException as err:
        message = err.format_message()
        _error(message[:1].lower() + message[1:], "add --help to see the options")
        return 2
    except (KeyboardInterrupt, typer.Abort):
        _error("interrupted")
        return 130
    except SystemExit as stop:  # typer exits 1 itself when the reader of a pipe went away
        _silence_stdout()
        return stop.code if isinstance(stop.code, int) else 1
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except MemoryError:
        _error("the input is too large to hold in memory",
               "give a table with --csv: mean, sum and batchmean stream in bounded memory")
        return 3
    except Exception as err:  # a bug: still one line, never a traceback
        _error(f"internal error ({type(err).__name__}: {err})",
               "please report this with the command that caused it")
        return 3


def _silence_stdout() -> None:
    """The reader went away (`| head -1`): stop quietly, like other Unix tools."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def run() -> None:
    """The console entry point: main(), then a fast exit."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    sys.stderr.flush()
    # Skip the interpreter's shutdown: for a one-shot call it is ~12 ms of NumPy clean-up
    # (benchmarks/startup.py), and nothing of ours needs it — both streams are flushed.
    os._exit(code)
