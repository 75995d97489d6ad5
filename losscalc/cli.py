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
from .commands.options import TENSOR_HELP, choice, encoding_option, option, output_options
from .errors import CheckFailed, LosscalcError, ReaderGone, Terminated, UsageError, signal_behind
from .i18n import available, choose, normal, translate
from .losses import all_losses, option_spelling
from .names import KINDS, NAMES, hint
from .registry import FROM_PROBS, LOSSES, LossSpec
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


def _input_alias(spec: LossSpec) -> dict:
    """PyTorch calls the prediction `input` (loss(input, target)): --input is a hidden alias
    of --pred, so a call written from the PyTorch docs works."""
    if not any(t.name == "pred" for t in spec.tensors):
        return {}
    return {"input": option(Optional[str], None, "--input", metavar="TENSOR", hidden=True,
                            help="The prediction, as PyTorch names it (= --pred).")}


def _probs_option(spec: LossSpec) -> dict:
    """A loss that can take the log of probabilities itself (nll: from_probs) reads them
    with --probs Q, as the tutorials write −ln q_y."""
    if not spec.takes_probs:
        return {}
    return {"probs": option(Optional[str], None, "--probs", metavar="TENSOR",
                            help=f"Probabilities q: {spec.name} takes ln q itself (= --pred Q "
                                 "--from-probs), −ln q_y.")}


def _pred_from_input(kwargs: dict) -> dict:
    value = kwargs.pop("input", None)
    if value is not None:
        if kwargs.get("pred") is not None:
            raise UsageError("--input is the prediction (PyTorch's name for --pred): give it "
                             "once")
        kwargs["pred"] = value
    probs = kwargs.pop("probs", None)
    if probs is not None:
        if kwargs.get("pred") is not None:
            raise UsageError("--probs is the prediction, as probabilities: give either it or "
                             "--log-probs/--pred")
        kwargs["pred"], kwargs[FROM_PROBS] = probs, True
    return kwargs


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
        **encoding_option(),
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
    options = {**_tensor_options(spec), **_input_alias(spec), **_probs_option(spec),
               **_param_options(spec),
               **(_table_options(spec) if spec.single_prediction else {}),
               **_common_options(spec)}

    def command(**kwargs):
        from .commands.loss import run_loss
        from .textfiles import files_in

        with files_in(kwargs.get("encoding")):  # every file the command reads whole
            run_loss(spec, {k: v.value if isinstance(v, Enum) else v
                            for k, v in _pred_from_input(kwargs).items()})

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


# The losses the tutorials compute, shown first in `losscalc --help`.
TUTORIAL_LOSSES = ("mse", "l1", "smooth-l1", "huber", "ce", "nll", "bce", "bce-logits", "kl")


def command_groups() -> list[tuple[str, list[str]]]:
    """(title, command names) for `losscalc --help`: the tutorials' losses, the rest of
    PyTorch's, the losses of Keras, optax and coursework, the tools."""
    rest = [n for n in sorted(LOSSES) if n not in TUTORIAL_LOSSES]
    torch = [n for n in rest if LOSSES[n].reference.startswith("torch.")]
    return [("Losses of the tutorials", list(TUTORIAL_LOSSES)),
            ("The rest of PyTorch's losses", torch),
            ("Keras, optax, torchvision and coursework losses",
             [n for n in rest if n not in torch]),
            ("Tools", sorted(NAMES.entries("command")))]


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

    def format_commands(self, ctx, formatter):
        """`losscalc --help`: the commands in groups, each summary whole (wrapped, never cut
        with "...")."""
        all_losses()
        for title, names in command_groups():
            rows = [(name, self._summary(ctx, name)) for name in names]
            with formatter.section(title):
                formatter.write_dl(rows)

    def _summary(self, ctx, name: str) -> str:
        if name in LOSSES:
            return LOSSES[name].summary
        return self.get_command(ctx, name).get_short_help_str(limit=10_000)

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
    from .errors import printable  # user text in a message stays on one line

    sys.stderr.write(f"losscalc: error: {printable(translate(message))}\n")
    if hint:
        sys.stderr.write(f"hint: {printable(translate(hint))}\n")


def _choose_language(argv: list[str]) -> None:
    """--lang of this command line, read before it is parsed so that even a parsing error is
    in that language (commands.options.lang_option declares it); else the environment's."""
    choose(None)
    for i, word in enumerate(argv):
        if word == "--":
            return
        if word == "--lang" or word.startswith("--lang="):
            lang = word.partition("=")[2] if "=" in word else \
                (argv[i + 1] if i + 1 < len(argv) else "")
            if normal(lang) not in available():
                raise UsageError(f"unknown language {lang!r} for --lang; choose "
                                 + ", ".join(available()))
            choose(lang)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (docs/contract.md, section 9)."""
    argv = sys.argv[1:] if argv is None else argv
    _encodable_output()
    if "_LOSSCALC_COMPLETE" in os.environ:
        _plain_completion_help()
    try:
        _choose_language(argv)
        command = click_command(app)
        try:
            rv = command.main(args=argv or ["--help"], prog_name="losscalc",
                              standalone_mode=False)
        except Exception as err:  # a signal that Python wrapped is that signal, below
            stop = signal_behind(err)
            if stop is None:
                raise
            raise stop from None
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
        _error(message[:1].lower() + message[1:], _usage_hint(err))
        return 2
    except (KeyboardInterrupt, typer.Abort):
        _error("interrupted")
        return 130
    except SystemExit as stop:  # typer exits 1 itself when the reader of a pipe went away
        _silence_stdout()
        return stop.code if isinstance(stop.code, int) else 1
    except (BrokenPipeError, ReaderGone):
        _silence_stdout()
        return 0
    except Terminated as stop:  # SIGTERM, SIGHUP (losscalc.entry): unwound, quietly
        return stop.exit_code
    except OSError as err:  # a standard stream that failed outside losscalc.entry's guard
        _error(f"input/output error ({err.strerror or err})")
        return 4
    except MemoryError:
        from .limits import STREAMING_HINT

        _error("the input is too large to hold in memory", STREAMING_HINT)
        return 3
    except Exception as err:  # a bug: still one line, never a traceback
        _error(f"internal error ({type(err).__name__}: {err})",
               "please report this with the command that caused it")
        return 3
    finally:
        choose(None)  # a caller running main() again, or the library, starts afresh


def _encodable_output() -> None:
    """A console that is not UTF-8 (GBK, ASCII, Latin-1) gets − as -, Σ as sum, … instead of
    a UnicodeEncodeError (render/encodable.py); a UTF-8 one costs one look at the encoding."""
    streams = (sys.stdout, sys.stderr)
    if any(not (getattr(s, "encoding", None) or "utf").lower().startswith("utf")
           for s in streams):
        from .render.encodable import install

        install(*streams)


def _usage_hint(err) -> str:
    """The option parser's error on a loss command names the fix (commands/hints.py)."""
    from .commands.hints import usage_hint

    return usage_hint(err) or "add --help to see the options"


def _flushed(code: int) -> int:
    """``code``, or 4 when the output still buffered cannot be written (a full disk)."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ReaderGone):
        _silence_stdout()
    except LosscalcError as err:  # the guarded stdout's InputOutputError
        _error(err.render(option_spelling), err.hint)
        return err.exit_code
    except OSError as err:
        _error(f"input/output error ({err.strerror or err})")
        return 4
    return code


def _silence_stdout() -> None:
    """The reader went away (`| head -1`): stop quietly, like other Unix tools."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def run() -> None:
    """main(), then a fast exit (losscalc.entry calls it, with the streams guarded)."""
    code = main()
    if code < 128:  # not after Ctrl-C or SIGTERM: a reader that stopped reading would block it
        code = _flushed(code)
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    # Skip the interpreter's shutdown: for a one-shot call it is ~12 ms of NumPy clean-up
    # (benchmarks/startup.py), and nothing of ours needs it — both streams are flushed.
    os._exit(code)
