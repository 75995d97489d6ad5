"""`losscalc plot`: the curves' numbers (against hand derivations and finite differences), the
terminal plot's text, PNG/SVG files of the size asked for, and the errors — among them the
one-line message when the [plot] extra is missing."""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import modules_after

from losscalc.errors import InvalidData, UsageError
from losscalc.losses import all_losses
from losscalc.plot import activation_curves, grid, loss_curves, parse_range

HINT = "hint: pip install 'losscalc[plot]'\n"


def curve(plot, name):
    return next(c for c in plot.curves if c.name == name)


# ---------------------------------------------------------------------------------------------
# The numbers: derived by hand


def test_regression_losses_and_derivatives_by_hand():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    plot = loss_curves(["mse", "l1", "huber"], x, target=0.0)
    mse, l1, huber = (curve(plot, n) for n in ("mse", "l1", "huber"))
    # mse: (x − y)², derivative 2(x − y): 2 at x = 1.
    assert mse.value == pytest.approx([4, 0.25, 0, 0.25, 1, 4])
    assert mse.derivative == pytest.approx([-4, -1, 0, 1, 2, 4])
    # l1: |x − y|, derivative sign(x − y), 0 at the kink (PyTorch's sign(0)).
    assert l1.value == pytest.approx([2, 0.5, 0, 0.5, 1, 2])
    assert l1.derivative == pytest.approx([-1, -1, 0, 1, 1, 1])
    # huber (δ = 1): ½d² inside |d| < 1, |d| − ½ outside; derivative d clipped to [−1, 1].
    assert huber.value == pytest.approx([1.5, 0.125, 0, 0.125, 0.5, 1.5])
    assert huber.derivative == pytest.approx([-1, -0.5, 0, 0.5, 1, 1])


def test_target_moves_the_curve():
    plot = loss_curves(["mse"], [0.0, 1.0, 3.0], target=1.0)
    assert plot.curves[0].value == pytest.approx([1, 0, 4])
    assert plot.curves[0].derivative == pytest.approx([-2, 0, 4])
    assert plot.setting == "target 1"


def test_a_parameter_reaches_the_loss():
    plot = loss_curves(["huber"], [-3.0, 0.5, 3.0], target=0.0, params={"delta": "2"})
    # δ = 2: the derivative saturates at ±2; inside, ½·0.5² = 0.125.
    assert plot.curves[0].derivative == pytest.approx([-2, 0.5, 2])
    assert plot.curves[0].value == pytest.approx([2 * (3 - 1), 0.125, 2 * (3 - 1)])
    assert plot.curves[0].label == "huber (delta=2)"


def test_bce_logits_by_hand():
    # target 1: ℓ(z) = ln(1 + e^(−z)), ℓ′(z) = σ(z) − 1; at 0: ln 2 and −½.
    plot = loss_curves(["bce-logits"], [0.0, 2.0], target=1.0)
    c = plot.curves[0]
    assert c.value == pytest.approx([math.log(2), math.log(1 + math.exp(-2))])
    assert c.derivative == pytest.approx([-0.5, 1 / (1 + math.exp(-2)) - 1])


def test_a_mean_over_the_last_axis_is_drawn_per_entry():
    # Keras' log-cosh averages over the last axis; for one number it is ln cosh(x − y),
    # derivative tanh(x − y).
    c = loss_curves(["log-cosh"], [0.0, 1.0], target=0.0).curves[0]
    assert c.value == pytest.approx([0, math.log(math.cosh(1))])
    assert c.derivative == pytest.approx([0, math.tanh(1)])


def test_a_loss_of_a_vector_sweeps_one_entry_of_pred():
    # ce of logits (z, 0, 0), class 0: ℓ = −z + ln(e^z + 2); ℓ′ = softmax_0 − 1.
    plot = loss_curves(["ce"], [0.0, 1.0], target=0.0, sample=[0.0, 0.0, 0.0])
    c = plot.curves[0]
    assert c.value == pytest.approx([math.log(3), -1 + math.log(math.e + 2)])
    assert c.derivative == pytest.approx([1 / 3 - 1, math.e / (math.e + 2) - 1])
    assert plot.xlabel == "pred[0]"


def test_vary_defaults_to_the_target_class():
    plot = loss_curves(["ce"], [0.0, 1.0], target=2.0, sample=[0.0, 0.0, 0.0])
    assert plot.xlabel == "pred[2]"
    # The target's logit at 0 among zeros: −ln(1/3); raising it lowers the loss.
    assert plot.curves[0].value[0] == pytest.approx(math.log(3))
    assert plot.curves[0].derivative[0] == pytest.approx(-2 / 3)


def test_activations_by_hand():
    x = np.array([-1.0, 0.0, 1.0])
    plot = activation_curves(["sigmoid", "tanh", "relu", "leaky-relu"], x, {"slope": "0.1"})
    sigmoid, tanh, relu, leaky = plot.curves
    # σ(0) = ½ and σ′ = σ(1 − σ) = ¼ there; tanh′(0) = 1 − 0² = 1.
    assert sigmoid.value[1] == pytest.approx(0.5)
    assert sigmoid.derivative[1] == pytest.approx(0.25)
    assert tanh.derivative[1] == pytest.approx(1.0)
    assert tanh.derivative[2] == pytest.approx(1 - math.tanh(1) ** 2)
    # relu′(0) = 0 (PyTorch); leaky_relu′ = slope for x ≤ 0.
    assert relu.derivative == pytest.approx([0, 0, 1])
    assert leaky.value == pytest.approx([-0.1, 0, 1])
    assert leaky.derivative == pytest.approx([0.1, 0.1, 1])
    assert leaky.label == "leaky-relu (slope=0.1)"


@pytest.mark.parametrize("names, kind, target", [
    ("huber,log-cosh,bce-logits,smooth-l1,focal", "loss", 1.0),
    ("sigmoid,tanh,gelu,silu,softplus", "activation", None),
])
def test_derivatives_agree_with_finite_differences(names, kind, target):
    x = grid(-4, 4, 4001)
    plot = (loss_curves(names.split(","), x, target=target) if kind == "loss" else
            activation_curves(names.split(","), x))
    h = x[1] - x[0]
    for c in plot.curves:
        numeric = (c.value[2:] - c.value[:-2]) / (2 * h)
        # away from huber's and smooth-l1's kinks at |x − 1| = 1
        smooth = np.abs(np.abs(x[1:-1] - 1) - 1) > 2 * h
        assert np.allclose(numeric[smooth], c.derivative[1:-1][smooth], atol=1e-4), c.name


# ---------------------------------------------------------------------------------------------
# The command line: the terminal plot


def test_terminal_plot_names_the_curves_and_their_derivatives(cli):
    code, out, err = cli("plot", "huber,mse,l1", "--target", "0", "--range", "-3:3")
    assert (code, err) == (0, "")
    for name in ("huber", "mse", "l1", "huber′", "mse′", "l1′", "huber, mse, l1 at target 0",
                 "prediction x"):
        assert name in out
    assert "\x1b" not in out  # not a terminal: no colour
    lines = out.splitlines()
    assert len(lines) == 30 and {len(line) for line in lines} == {80}  # piped: 80×30


def test_terminal_plot_of_an_activation_has_the_size_asked_for(cli):
    code, out, err = cli("plot", "sigmoid,tanh", "--range", "-10:10", "--width", "64",
                         "--height", "24")
    assert code == 0
    assert "sigmoid′" in out and "tanh′" in out
    lines = out.splitlines()
    assert len(lines) == 24 and {len(line) for line in lines} == {64}


def as_terminal(monkeypatch):
    """stdout claims to be a terminal of 100×40 (called in the test: capsys swaps sys.stdout
    between setup and call)."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "40")
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_colour_only_on_a_terminal_and_never_with_no_color(cli, monkeypatch):
    as_terminal(monkeypatch)
    code, out, _ = cli("plot", "relu")
    assert code == 0 and "\x1b[" in out
    assert len(out.splitlines()) == 38  # the terminal's height less two lines for the prompt
    code, out, _ = cli("plot", "relu", "--no-color")
    assert code == 0 and "\x1b" not in out and "relu′" in out
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, _ = cli("plot", "relu")
    assert code == 0 and "\x1b" not in out


def test_a_loss_of_a_vector_in_the_terminal(cli):
    code, out, _ = cli("plot", "ce,nll", "--pred", "0,0,0", "--target", "1", "--range", "-5:5")
    assert code == 0
    assert "ce′" in out and "nll′" in out and "∂ℓ/∂pred[1]" in out


# ---------------------------------------------------------------------------------------------
# Image files


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_has_the_size_asked_for(cli, tmp_path):
    path = tmp_path / "losses.png"
    code, out, err = cli("plot", "huber,mse,l1", "--range", "-3:3", "--out", path,
                         "--width", "640", "--height", "480")
    assert (code, out, err) == (0, "", "")
    assert png_size(path.read_bytes()) == (640, 480)


def test_png_default_size(cli, tmp_path):
    path = tmp_path / "sigmoid.png"
    assert cli("plot", "sigmoid", "--range", "-10:10", "--out", path)[0] == 0
    assert png_size(path.read_bytes()) == (800, 600)


def test_svg_is_valid_and_has_the_size_asked_for(cli, tmp_path):
    path = tmp_path / "act.svg"
    code, out, _ = cli("plot", "sigmoid,tanh", "--out", path, "--width", "500", "--height",
                       "300")
    assert (code, out) == (0, "")
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # CSS pixels: 96 an inch, 72 pt an inch, so 500 px = 375 pt.
    assert (root.get("width"), root.get("height")) == ("375pt", "225pt")
    assert root.get("viewBox") == "0 0 375 225"


def test_the_same_plot_makes_the_same_file(cli, tmp_path):
    for name in ("a.svg", "b.svg", "a.png", "b.png"):
        assert cli("plot", "huber,l1", "--out", tmp_path / name)[0] == 0
    for ext in ("svg", "png"):
        assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes()


# ---------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("text", ["1:1", "abc", "-3", "1:2:3", "a:b", "-inf:0"])
def test_bad_range_is_a_usage_error(cli, text):
    code, out, err = cli("plot", "mse", "--range", text)
    assert (code, out) == (2, "")
    assert err.startswith("losscalc: error: --range: ") and repr(text) in err
    assert len(err.splitlines()) == 1


def test_parse_range():
    assert parse_range("-3:3") == (-3.0, 3.0)
    assert parse_range("0.01:0.99") == (0.01, 0.99)
    # A > B counts down, as torch.linspace(A, B, N) and `losscalc act --range` do
    assert parse_range("3:-3") == (3.0, -3.0)
    with pytest.raises(UsageError, match="expected A:B such as -3:3, got 'x'"):
        parse_range("x")


def test_unknown_name_suggests_the_closest(cli):
    code, out, err = cli("plot", "hubr,mse")
    assert (code, out) == (2, "")
    assert err == "losscalc: error: unknown loss or activation 'hubr'\nhint: did you mean 'huber'?\n"
    code, _, err = cli("plot", "sigmod")
    assert code == 2 and "did you mean 'sigmoid'?" in err


def test_losses_and_activations_are_not_mixed(cli):
    code, out, err = cli("plot", "mse,sigmoid")
    assert (code, out) == (2, "")
    assert "not both: mse is a loss, sigmoid an activation" in err


def test_a_loss_of_a_vector_needs_pred(cli):
    code, out, err = cli("plot", "ce")
    assert (code, out) == (2, "")
    assert err.startswith("losscalc: error: ce is a loss of a vector")
    assert "--pred" in err.splitlines()[1]


def test_outside_the_domain_is_invalid_data(cli):
    code, out, err = cli("plot", "bce", "--range", "-1:1", "--target", "1")
    assert (code, out) == (3, "")
    assert "bce is not defined over all of --range -1:1" in err
    assert cli("plot", "bce", "--range", "0.01:0.99", "--target", "1")[0] == 0


def test_parameter_errors(cli):
    code, _, err = cli("plot", "huber,mse", "--param", "beta=2")
    assert code == 2 and "--beta: none of huber, mse takes it" in err
    code, _, err = cli("plot", "huber,mse", "--beta", "2")
    assert code == 2 and "--beta: none of huber, mse takes it" in err
    code, _, err = cli("plot", "huber", "--param", "delta=-1")
    assert code == 2 and "delta" in err  # the core's check
    code, _, err = cli("plot", "huber", "--param", "delta")
    assert code == 2 and "NAME=VALUE" in err


@pytest.mark.parametrize("name", list(all_losses()))
def test_every_loss_draws_or_says_why_in_one_line(cli, name):
    for extra in ([], ["--pred", "0.2,0.3,0.5"]):
        code, out, err = cli("plot", name, "--range", "0.1:0.9", "--width", "40", "--height",
                             "12", *extra)
        if code == 0:
            assert f"{name}′" in out and err == ""
        else:
            assert code in (2, 3) and out == "", err
            assert err.startswith(f"losscalc: error: {name} ") and len(err.splitlines()) <= 2


def test_a_sample_that_does_not_fit_is_named_as_given(cli):
    code, _, err = cli("plot", "ce", "--pred", "0,0,0", "--target", "7")
    assert code == 3
    assert err.startswith("losscalc: error: ce does not fit --pred and --target: class index 7")


def test_the_activation_of_a_vector_is_refused():
    with pytest.raises(UsageError, match="softmax acts on a vector"):
        activation_curves(["softmax"], [0.0, 1.0])


def test_the_loss_must_be_defined_on_the_grid():
    with pytest.raises(InvalidData, match="poisson is not defined"):
        loss_curves(["poisson"], [-1.0, 1.0], target=1.0)


@pytest.mark.parametrize("args, message", [
    (["--out", "plot.jpg"], "expected a file name ending in .png or .svg"),
    (["--width", "5"], "--width: expected 10 to 10000 characters"),
    (["--out", "x.png", "--height", "50"], "--height: expected 100 to 10000 pixels"),
    (["--vary", "1"], "--vary picks an entry of --pred"),
])
def test_option_errors(cli, args, message):
    code, out, err = cli("plot", "mse", *args)
    assert (code, out) == (2, "") and message in err


def test_unwritable_out_is_an_input_output_error(cli, tmp_path):
    code, out, err = cli("plot", "mse", "--out", tmp_path / "missing" / "x.png")
    assert (code, out) == (4, "")
    assert err.startswith("losscalc: error: --out: cannot write") and len(err.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# Without the [plot] extra


@pytest.mark.parametrize("module, args, what", [
    ("plotext", [], "the terminal plot needs plotext"),
    ("matplotlib", ["--out", "x.png"], "--out needs matplotlib"),
])
def test_without_the_extra_one_line_and_the_pip_command(cli, monkeypatch, tmp_path, module,
                                                        args, what):
    monkeypatch.setitem(sys.modules, module, None)  # import plotext → ImportError
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("plot", "sigmoid", *args)
    assert (code, out) == (4, "")
    assert err == f"losscalc: error: {what}, which is not installed\n{HINT}"
    assert not (tmp_path / "x.png").exists()


def test_without_the_extra_in_a_fresh_process():
    script = ("import sys; sys.modules['plotext'] = None\n"
              "from losscalc.cli import main\n"
              "sys.exit(main(['plot', 'huber,mse,l1', '--target', '0']))\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 4 and run.stdout == ""
    assert run.stderr.endswith(HINT) and "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) == 2


def test_the_plotting_libraries_are_imported_only_to_draw():
    loaded = modules_after(["mse", "-p", "1,2", "-t", "1,3"],
                           prelude="import losscalc.commands.plot, losscalc.plot")
    assert not loaded & {"plotext", "matplotlib"}
