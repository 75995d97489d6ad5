"""`losscalc plot LOSS|ACTIVATION[,…]`: curves and their derivatives, in the terminal (plotext)
or to a PNG/SVG file (matplotlib) — both from the optional extra `losscalc[plot]`, imported
only here, when a plot is drawn. The numbers come from losscalc.plot."""

from __future__ import annotations

import os
import shutil
import sys
from contextlib import contextmanager
from typing import Optional

import numpy as np
import typer

from .. import activations
from .. import plot as curves
from ..errors import InputOutputError, UsageError, write_error
from ..files import atomic_file
from ..losses import all_losses
from .common import OUTPUT_OPTIONS, command, tensor
from .options import encoding_option, param_options

EXTRA_HINT = "pip install 'losscalc[plot]'"
IMAGE_SIZE = (800, 600)  # pixels, for --out
TEXT_SIZE = (80, 30)  # characters, when stdout is not a terminal
IMAGE_LIMITS = (100, 10000)
TEXT_LIMITS = (10, 10000)

OPTIONS = {
    "names": (str, ..., typer.Argument(
        metavar="LOSS|ACTIVATION[,…]", show_default=False,
        help="Losses, or activations, separated by commas.")),
    "target": (Optional[str], None, typer.Option(
        "--target", "-t", metavar="TENSOR",
        help="The fixed target (losses) [default: 0]: one number, or with --pred one "
             "sample's target as the loss takes it.")),
    "range": (str, "-3:3", typer.Option("--range", metavar="A:B",
                                        help="The interval of x, from A to B.")),
    "points": (int, curves.POINTS, typer.Option("--points", min=2, max=100_000, metavar="N",
                                           help="How many points of x (evenly spaced).")),
    "param": (Optional[list[str]], None, typer.Option(
        "--param", metavar="NAME=VALUE", hidden=True,
        help="A parameter as NAME=VALUE, such as delta=2 (the former spelling of --delta 2; "
             "repeatable).")),
    "pred": (Optional[str], None, typer.Option(
        "--pred", "-p", metavar="TENSOR",
        help="For a loss of a vector (ce, nll …): one sample's whole prediction; --range "
             "sweeps its entry --vary.")),
    "vary": (Optional[int], None, typer.Option(
        "--vary", min=0, metavar="K",
        help="The entry of --pred that follows x [default: the target class, else 0].")),
    "out": (Optional[str], None, typer.Option(
        "--out", "-o", metavar="FILE.png|FILE.svg",
        help="Write an image (matplotlib) instead of drawing in the terminal.")),
    "width": (Optional[int], None, typer.Option(
        "--width", metavar="N", help=f"Width: pixels with --out [default: {IMAGE_SIZE[0]}], "
                                     "characters in the terminal [default: its width, "
                                     f"{TEXT_SIZE[0]} when piped].")),
    "height": (Optional[int], None, typer.Option(
        "--height", metavar="N", help=f"Height: pixels with --out [default: {IMAGE_SIZE[1]}], "
                                      "lines in the terminal [default: its height, "
                                      f"{TEXT_SIZE[1]} when piped].")),
    **encoding_option(),
    **{name: OUTPUT_OPTIONS[name] for name in ("no_color", "quiet", "lang")},
}


# One option per parameter of a loss or an activation (--delta 2, --slope 0.1), as
# `losscalc LOSS` and `losscalc act` spell them; each goes to the listed curves that take it.
PARAMS = param_options([*all_losses().values(), *activations.ACTIVATIONS.values()],
                       set(OPTIONS))
OPTIONS.update(PARAMS)

HELP = f"""Curves and their derivatives: losses of one prediction, or activations.

A loss is drawn as a function of the prediction x for a fixed --target (the loss of one
element: the reduction does not matter), an activation as a function of x; below it, the
derivative ∂ℓ/∂x or f′(x) from the same computation as `losscalc LOSS` and `losscalc act`
give (PyTorch's conventions at kinks). Losses and activations are not mixed in one plot.

A loss of a vector (ce, nll, multi-margin …) needs one sample's whole prediction, --pred:
the entry --vary follows x, the others stay as given.

In the terminal by default (plotext; {TEXT_SIZE[0]}×{TEXT_SIZE[1]} characters when stdout is
not a terminal); --out FILE.png or FILE.svg writes an image (matplotlib), --width × --height
pixels. Both need the extra: {EXTRA_HINT}.

\b
Examples:
  losscalc plot huber,mse,l1 --target 0 --range -3:3
  losscalc plot sigmoid,tanh --range -6:6 --out act.png
  losscalc plot huber --delta 0.5 --range -2:2
  losscalc plot ce --pred 0,0,0 --target 1 --range -5:5"""


def draw_curves(opts: dict) -> None:
    kind, specs = curves.resolve_names(opts["names"])
    x = curves.grid(*curves.parse_range(opts["range"]), opts["points"])
    params = _params(opts)
    fmt = _image_format(opts["out"])
    size = _size(opts, fmt is not None)
    if kind == "loss":
        target = tensor(opts["target"], "--target")
        plot = curves.loss_curves(specs, x, 0.0 if target is None else target, params,
                             tensor(opts["pred"], "--pred"), opts["vary"])
    else:
        for option in ("target", "pred", "vary"):
            if opts[option] is not None:
                raise UsageError(f"--{option} goes with losses; {specs[0].name} is an "
                                 "activation")
        plot = curves.activation_curves(specs, x, params)
    if fmt is None:
        text = terminal_plot(plot, size, _color(opts))
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    else:
        with matplotlib_home():
            write_image(plot, opts["out"], fmt, size)
    if not opts["quiet"]:
        for note in _gaps(plot):
            sys.stderr.write(f"note: {note}\n")


app = command(draw_curves, OPTIONS, "plot", HELP)


# ---------------------------------------------------------------------------------------------
# Options


def _params(opts: dict) -> dict:
    """The parameters given, by name: their own options and the former --param NAME=VALUE
    (each once); each curve's Param reads them."""
    given = {name: opts[name] for name in PARAMS if opts[name] is not None}
    for name, text in curves.parse_params(opts["param"]).items():
        if name in given:
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option} is given twice (once as --param {name}=…)")
        given[name] = text
    return given


def _image_format(out: str | None) -> str | None:
    if out is None:
        return None
    ext = os.path.splitext(out)[1].lower()
    if ext not in (".png", ".svg"):
        raise UsageError(f"--out: expected a file name ending in .png or .svg, got {out!r}")
    return ext[1:]


def _size(opts: dict, image: bool) -> tuple[int, int]:
    low, high = IMAGE_LIMITS if image else TEXT_LIMITS
    unit = "pixels" if image else "characters"
    for option in ("width", "height"):
        value = opts[option]
        if value is not None and not low <= value <= high:
            raise UsageError(f"--{option}: expected {low} to {high} {unit}, got {value}")
    if image:
        default = IMAGE_SIZE
    elif sys.stdout.isatty():
        columns, lines = shutil.get_terminal_size(TEXT_SIZE)
        default = (columns, max(TEXT_LIMITS[0], lines - 2))
    else:
        default = TEXT_SIZE
    return opts["width"] or default[0], opts["height"] or default[1]


def _color(opts: dict) -> bool:
    return sys.stdout.isatty() and not opts["no_color"] and not os.environ.get("NO_COLOR")


def _need(module: str, what: str):
    """Import the plotting library ``module`` of the extra, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputOutputError(f"{what} needs {module.split('.')[0]}, which is not installed",
                               EXTRA_HINT) from None


def _finite(x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    keep = np.isfinite(y)
    return x[keep].tolist(), y[keep].tolist()


def _gaps(plot: curves.Plot) -> list[str]:
    """A note for each curve that is not finite everywhere (those points are left out)."""
    notes = []
    for curve in plot.curves:
        for name, values in ((curve.label, curve.value), (_prime(curve.label), curve.derivative)):
            bad = int(np.sum(~np.isfinite(values)))
            if bad:
                notes.append(f"{name} is not finite at {bad} of {values.size} points; they are "
                             "left out")
    return notes


def _prime(label: str) -> str:
    """`huber (delta=2)` → `huber′ (delta=2)`: the derivative's legend."""
    name, sep, rest = label.partition(" ")
    return f"{name}′{sep}{rest}"


def _axis_labels(plot: curves.Plot) -> tuple[str, str]:
    x = plot.symbol
    return ((f"loss ℓ({x})", f"derivative ∂ℓ/∂{x}") if plot.kind == "loss" else
            (f"f({x})", f"derivative f′({x})"))


# ---------------------------------------------------------------------------------------------
# Drawing


# Distinct marks when there is no colour to tell the curves apart.
MARKS = ("•", "x", "+", "o", "*", "#", "@", "%")
COLORS = ("blue+", "red+", "green+", "orange+", "magenta+", "cyan+", "yellow", "gray+")


def terminal_plot(plot: curves.Plot, size: tuple[int, int], color: bool) -> str:
    """The plot as text: the curves above, their derivatives below (plotext)."""
    plt = _need("plotext", "the terminal plot")
    top, bottom = _axis_labels(plot)
    plt.main().clear_figure()  # plotext keeps one figure per process: start from a new one
    plt.limit_size(False, False)  # not to the terminal plotext guesses: the size asked for
    plt.plot_size(*size)
    plt.theme("clear")
    plt.subplots(2, 1)
    for row, ylabel, prime in ((1, top, False), (2, bottom, True)):
        plt.subplot(row, 1)
        if row == 1:
            plt.title(curves.title(plot))
        else:
            plt.xlabel(plot.xlabel)
        plt.ylabel(ylabel)
        for i, curve in enumerate(plot.curves):
            xs, ys = _finite(plot.x, curve.derivative if prime else curve.value)
            if xs:
                plt.plot(xs, ys, label=_prime(curve.label) if prime else curve.label,
                         marker="braille" if color else MARKS[i % len(MARKS)],
                         color=COLORS[i % len(COLORS)] if color else None)
    text = plt.build()
    plt.main().clear_figure()
    return text if color else plt.uncolorize(text)


@contextmanager
def matplotlib_home():
    """Where matplotlib keeps its configuration and font cache. With a HOME (or
    XDG_CONFIG_HOME/XDG_CACHE_HOME) it cannot use, matplotlib would warn on stderr, make a
    temporary folder it removes only at an exit losscalc skips, or create a missing HOME:
    then a folder of our own serves for this run and is removed after it."""
    if os.environ.get("MPLCONFIGDIR") or _usable_home():
        yield
        return
    import tempfile

    folder = tempfile.mkdtemp(prefix="losscalc-matplotlib-")
    os.environ["MPLCONFIGDIR"] = folder
    try:
        yield
    finally:
        del os.environ["MPLCONFIGDIR"]
        shutil.rmtree(folder, ignore_errors=True)


def _usable_home() -> bool:
    """HOME is a writable folder, and so is the nearest existing folder of each of
    matplotlib's config and cache folders (which it then creates)."""
    home = os.environ.get("HOME", "")
    if not (home and os.path.isdir(home) and os.access(home, os.W_OK)):
        return False
    for variable, default in (("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache")):
        folder = os.environ.get(variable) or os.path.join(home, default)
        while not os.path.exists(folder) and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            return False
    return True


def write_image(plot: curves.Plot, path: str, fmt: str, size: tuple[int, int]) -> None:
    """Two panels, the curves and their (dashed) derivatives, exactly ``size`` pixels: a PNG
    at 100 dpi, an SVG whose width and height in pt are the pixels · 0.75 (96 px an inch)."""
    mpl = _need("matplotlib", "--out")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = 100 if fmt == "png" else 96
    fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    ylabels = _axis_labels(plot)
    for i, curve in enumerate(plot.curves):
        colour = f"C{i % 10}"
        top.plot(plot.x, np.where(np.isfinite(curve.value), curve.value, np.nan),
                 color=colour, label=curve.label)
        bottom.plot(plot.x, np.where(np.isfinite(curve.derivative), curve.derivative, np.nan),
                    color=colour, linestyle="--", label=_prime(curve.label))
    for ax, ylabel in zip((top, bottom), ylabels):
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.axhline(0, color="0.6", linewidth=0.8)
        ax.legend(loc="best", fontsize="small")
    top.set_title(curves.title(plot))
    bottom.set_xlabel(plot.xlabel)
    try:
        # no date and fixed ids in an SVG: the same plot makes the same file
        with mpl.rc_context({"svg.hashsalt": "losscalc"}):
            with atomic_file(path) as handle:  # a failed write keeps the previous file
                fig.savefig(handle, format=fmt, dpi=dpi,
                            metadata={"Date": None} if fmt == "svg" else None)
    except OSError as err:
        raise write_error(path, err, "--out") from None
