"""losscalc as a Python library: `import losscalc`, then compute / activation / info, as a
notebook uses them — values, gradients, explanations, Jupyter's displays and errors.

Expected numbers are derived by hand (in the comments) or with the standard library's math.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest
from conftest import modules_after

import losscalc
from losscalc.losses import all_losses


def _softmax(row):
    exps = [math.exp(v) for v in row]
    return [e / sum(exps) for e in exps]


# --- values and gradients --------------------------------------------------------------------


def test_mse_value_elementwise_and_gradient():
    # d = (0, 0, −2), ℓ = d² = (0, 0, 4), mean 4/3; ∂/∂pred = 2d/3 = (0, 0, −4/3)
    r = losscalc.compute("mse", pred=[1, 2, 3], target=[1, 2, 5])
    assert r.value == 4 / 3 and isinstance(r.value, float)
    assert r.elementwise.tolist() == [0.0, 0.0, 4.0]
    assert list(r.grad) == ["pred"]
    np.testing.assert_allclose(r.grad["pred"], [0, 0, -4 / 3], rtol=1e-15)


def test_a_prediction_by_the_losss_own_word_and_every_input_form():
    """logits= is ce's word for pred=; NumPy arrays, nested lists and the command line's text
    give the same bits."""
    # ce of one sample: ln(e¹ + e² + e³) − 3; gradient softmax − onehot(2)
    expected = math.log(math.exp(1) + math.exp(2) + math.exp(3)) - 3
    forms = [losscalc.compute("ce", logits=[[1.0, 2.0, 3.0]], target=[2]),
             losscalc.compute("ce", logits=np.array([[1.0, 2.0, 3.0]]), target=np.array([2])),
             losscalc.compute("ce", logits="1,2,3", target="2"),
             losscalc.compute("ce", pred="[1, 2, 3]", target=2)]
    for r in forms:
        assert r.value == pytest.approx(expected, rel=1e-14)
        grad = _softmax([1, 2, 3])
        grad[2] -= 1
        np.testing.assert_allclose(r.grad["logits"].reshape(-1), grad, rtol=1e-12)
        assert r.grad["logits"] is r.grad["pred"]
    assert len({float(r.value).hex() for r in forms}) == 1


def test_parameters_by_name_as_numbers_text_or_default():
    # huber, δ = 1: |d| = 1.5 → 1.5 − 0.5 = 1; 0; ½·0.5² = 0.125 → mean 1.125/3 = 0.375
    kwargs = dict(pred=[4.5, 5, 2], target=[3, 5, 2.5])
    assert losscalc.compute("huber", delta=1, **kwargs).value == 0.375
    assert losscalc.compute("huber", delta="1", **kwargs).value == 0.375
    assert losscalc.compute("huber", delta=None, **kwargs).value == 0.375  # the default
    assert losscalc.compute("huber", delta=np.float32(1), **kwargs).value == 0.375
    # δ = 2: every |d| < 2 → ½d²: (1.125 + 0 + 0.125)/3
    assert losscalc.compute("huber", delta=2, **kwargs).value == pytest.approx(1.25 / 3)
    # reduction and dtype as on the command line
    r = losscalc.compute("huber", reduction="sum", dtype="float32", **kwargs)
    assert r.value == 1.125 and r.report.json["dtype"] == "float32"


def test_a_loss_of_several_tensors_by_their_json_names():
    # cosine-embedding with y = 1: ℓ = 1 − cos(x1, x2); (1,0)·(0,1) = 0 → ℓ = 1
    r = losscalc.compute("cosine-embedding", x1=[[1.0, 0.0]], x2=[[0.0, 1.0]], target=[1])
    assert r.value == pytest.approx(1.0, abs=1e-12)
    assert set(r.grad) == {"x1", "x2"}


def test_activation_values_and_gradient():
    # σ(0) = ½, σ(1) = 1/(1 + e⁻¹); x.grad of y.sum() = σ(1 − σ)
    r = losscalc.activation("sigmoid", [0.0, 1.0])
    s1 = 1 / (1 + math.exp(-1))
    np.testing.assert_allclose(r.value, [0.5, s1], rtol=1e-15)
    np.testing.assert_allclose(r.grad["x"], [0.25, s1 * (1 - s1)], rtol=1e-14)
    # a parameter by name: leaky_relu with slope 0.1 at −2 → −0.2, gradient 0.1
    r = losscalc.activation("leaky-relu", [-2.0], slope=0.1)
    assert r.value.tolist() == [-0.2] and r.grad["x"].tolist() == [0.1]


def test_info_measures_and_bases():
    assert losscalc.info("entropy", [0.5, 0.5], base="2").value == 1.0  # two equal halves: 1 bit
    assert losscalc.info("entropy", [0.5, 0.5], base=2).value == 1.0
    # KL(p‖q) = ½ ln(0.5/0.9) + ½ ln(0.5/0.1), in nats
    kl = losscalc.info("kl", [0.5, 0.5], [0.9, 0.1])
    assert kl.value == pytest.approx(0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(5), rel=1e-14)
    np.testing.assert_allclose(kl.elementwise, [0.5 * math.log(0.5 / 0.9), 0.5 * math.log(5)])


def test_info_is_callable_also_once_its_module_was_imported():
    """`losscalc.info` is also the module losscalc/info.py (the import system sets it on the
    package): importing the module first must not hide the function."""
    script = ("import losscalc.info, losscalc\n"
              "from losscalc.info import compute_info\n"
              "print(losscalc.info('entropy', [0.5, 0.5], base='2').value)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert (run.returncode, run.stdout) == (0, "1.0\n"), run.stderr


# --- the same Report as the command line -----------------------------------------------------


def test_the_result_is_the_command_lines_report(cli):
    import json

    r = losscalc.compute("ce", logits=[[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], target=[0, 2])
    code, out, _ = cli("ce", "--logits", "2,0.5,-1; 0.1,0.2,3", "-t", "0,2", "--json")
    assert code == 0 and r.json == json.loads(out)
    code, out, _ = cli("act", "softmax", "--x", "1,2,3", "--json")
    assert losscalc.activation("softmax", [1, 2, 3]).json == json.loads(out)
    code, out, _ = cli("info", "kl", "--p", "0.5,0.5", "--q", "0.9,0.1", "--base", "2", "--json")
    assert losscalc.info("kl", [0.5, 0.5], [0.9, 0.1], base="2").json == json.loads(out)


def test_explain_in_every_format(cli):
    r = losscalc.compute("mse", pred=[1, 2, 3], target=[1, 2, 5])
    code, out, _ = cli("mse", "-p", "1,2,3", "-t", "1,2,5", "--explain", "--format", "plain")
    assert out.startswith(r.explain())  # the text explanation, then the value
    assert "d = 3 − 5 = −2" in r.explain()
    code, out, _ = cli("mse", "-p", "1,2,3", "-t", "1,2,5", "--format", "markdown")
    assert r.explain("markdown") == out
    code, out, _ = cli("mse", "-p", "1,2,3", "-t", "1,2,5", "--format", "latex")
    assert r.explain("latex") == out
    html = r.explain("html")
    assert "<math" in html and "<mn>1.33333</mn>" in html
    ElementTree.fromstring(html)
    assert r.explain(lang="en") == r.explain()
    zh = r.explain(lang="zh")  # the words translated, the numbers the same
    assert re.search("[\u4e00-\u9fff]", zh) and not re.search("[\u4e00-\u9fff]", r.explain())
    assert re.findall(r"-?\d+(?:\.\d+)?", zh) == re.findall(r"-?\d+(?:\.\d+)?", r.explain())
    assert "d = 3 − 5 = −2" in r.explain(digits=3, full=True)


def test_jupyter_displays_the_value_the_tables_and_the_explanation():
    r = losscalc.compute("mse", pred=[1, 2, 3], target=[1, 2, 5])
    html = r._repr_html_()
    root = ElementTree.fromstring(html)  # one element, every tag closed
    assert root.tag == "div" and "<html" not in html and "<script" not in html
    assert "1.33333" in html and "Per-element losses" in html and "<math" in html
    markdown = r._repr_markdown_()
    assert "value **1.33333**" in markdown and "| index | pred | target | loss | grad |" in markdown
    assert "$d = x - y$" in markdown
    assert "mse" in repr(r) and repr(4 / 3) in repr(r)  # (0 + 0 + 2²)/3
    assert "<math" in losscalc.activation("tanh", [0.5])._repr_html_()
    assert "<math" in losscalc.info("entropy", [0.2, 0.8])._repr_html_()


# --- errors ----------------------------------------------------------------------------------


def _error(call) -> losscalc.LosscalcError:
    with pytest.raises(losscalc.LosscalcError) as raised:
        call()
    return raised.value


def test_errors_speak_python():
    err = _error(lambda: losscalc.compute("ce", logits=1.0, target=0))
    assert (err.exit_code, str(err)) == (3, "ce: logits= must have a class axis; got a single "
                                            "number")
    err = _error(lambda: losscalc.compute("mse", pred=[1, 2], target=[1, 2, 3]))
    assert err.exit_code == 3 and str(err).startswith("mse: pred= has shape (2,) but target= ")
    err = _error(lambda: losscalc.compute("huber", pred="1,x", target=1))
    assert err.exit_code == 3 and str(err).startswith("pred=: ")
    err = _error(lambda: losscalc.compute("huber", pred=1, target=1, delta="x"))
    assert (err.exit_code, str(err)) == (2, "delta= must be a number, got 'x'")
    err = _error(lambda: losscalc.activation("softmax", [1, 2], dim=3))
    assert str(err) == "softmax: dim= 3 is out of range for x= of shape (2,) (expected -1 to 0)"
    err = _error(lambda: losscalc.info("kl", [0.5, 0.5], [0.2, 0.3, 0.5]))
    assert str(err) == "kl: q= has shape (3,) but p= has shape (2,); they must be the same"
    err = _error(lambda: losscalc.compute("mse", pred=1, target=1, dtype="float16"))
    assert err.exit_code == 2 and "float16" in str(err)
    assert "--" not in str(err)


def test_unknown_names_get_the_command_lines_suggestions_as_python_calls():
    err = _error(lambda: losscalc.compute("msee", pred=1, target=1))
    assert (err.exit_code, str(err), err.hint) == (2, "unknown loss 'msee'", "did you mean 'mse'?")
    err = _error(lambda: losscalc.compute("sigmoid", pred=1, target=1))
    assert err.hint == "did you mean losscalc.activation('sigmoid', x)?"
    err = _error(lambda: losscalc.activation("focal", [1]))
    assert err.hint == "did you mean losscalc.compute('focal', …)?"
    err = _error(lambda: losscalc.info("entropie", [1]))
    assert str(err) == "unknown measure 'entropie'" and err.hint == "did you mean 'entropy'?"
    err = _error(lambda: losscalc.compute(3, pred=1, target=1))
    assert err.exit_code == 2


def test_unknown_and_missing_keywords():
    err = _error(lambda: losscalc.compute("huber", pred=1, target=1, detla=2))
    assert str(err) == "huber takes no argument detla=; it takes pred=, target=, delta="
    assert err.hint == "did you mean delta=?"
    err = _error(lambda: losscalc.compute("ce", pred=[[1, 2]], logits=[[1, 2]], target=[0]))
    assert err.exit_code == 2 and "once" in str(err)
    err = _error(lambda: losscalc.activation("relu", [1], slope=2))
    assert str(err).startswith("relu takes no argument slope=")
    err = _error(lambda: losscalc.compute("mse", pred=[1]))
    assert str(err) == "mse needs target="
    # bce takes probabilities; logits are bce-logits' question, as the command line hints
    err = _error(lambda: losscalc.compute("bce", logits=[0.1], target=[1]))
    assert err.hint == "logits= is an argument of bce-logits: losscalc.compute('bce-logits', logits=…)"
    assert losscalc.compute("bce-logits", logits=[0.0], target=[1]).value == math.log(2)  # −ln σ(0)
    # ce given probabilities: nll answers it, taking probs= as its command takes --probs (the
    # call the hint names runs, as does the parameter's own form): −ln q_y = −ln 0.5 = ln 2
    err = _error(lambda: losscalc.compute("ce", probs=[[0.5, 0.5]], target=[0]))
    assert err.hint == "probs= is an argument of nll: losscalc.compute('nll', probs=…)"
    assert losscalc.compute("nll", probs=[[0.5, 0.5]], target=[0]).value == math.log(2)
    assert losscalc.compute("nll", pred=[[0.5, 0.5]], target=[0], from_probs=True).value == \
        math.log(2)


@pytest.mark.parametrize("name", sorted(all_losses()))
def test_the_missing_tensor_hint_is_a_call_that_runs(name):
    """Each loss's example, as the hint for a missing tensor shows it, runs as it is."""
    from losscalc.library import python_example

    example = python_example(all_losses()[name])
    assert example.startswith(f"losscalc.compute({name!r}") and "--" not in example
    assert isinstance(eval(example, {"losscalc": losscalc}), losscalc.Result)


def test_explain_refuses_an_unknown_format_or_language():
    r = losscalc.compute("mse", pred=1, target=2)
    assert _error(lambda: r.explain("pdf")).exit_code == 2
    assert str(_error(lambda: r.explain(lang="xx"))) == "unknown language 'xx'; choose en, zh"


# --- what importing costs --------------------------------------------------------------------


def test_importing_and_computing_loads_no_cli_and_no_rendering():
    heavy = {"typer", "click", "rich", "losscalc.cli", "losscalc.render.html",
             "losscalc.render.explain", "losscalc.commands.common"}
    assert not modules_after(None, "import losscalc") & (heavy | {"losscalc.core", "numpy"})
    loaded = modules_after(None, "import losscalc\n"
                                 "losscalc.compute('mse', pred=[1, 2], target=[1, 3])\n"
                                 "losscalc.activation('sigmoid', [0.0])\n"
                                 "losscalc.info('entropy', [0.5, 0.5])")
    assert "losscalc.core" in loaded and not loaded & heavy
    # rendering loads the renderer, still without rich
    loaded = modules_after(None, "import losscalc\n"
                                 "losscalc.compute('mse', pred=[1], target=[3])._repr_html_()")
    assert "losscalc.render.html" in loaded and "rich" not in loaded


def test_the_public_api_is_declared_and_typed():
    assert sorted(losscalc.__all__) == ["LosscalcError", "Result", "__version__", "activation",
                                        "compute", "info"]
    for name in losscalc.__all__:
        assert getattr(losscalc, name) is not None
    assert (Path(losscalc.__file__).parent / "py.typed").is_file()
    from losscalc import library

    for fn in (library.compute, library.activation, library.info, library.Result.explain):
        assert fn.__annotations__.get("return"), fn.__name__
    with pytest.raises(AttributeError):
        losscalc.no_such_name  # noqa: B018


@pytest.mark.parametrize(("call", "said", "not_said"), [
    (dict(loss="focal", pred=[0.5, 0.2], target=[1, 0]), "logits= are all in [0, 1]", "--"),
    (dict(loss="nll", pred=[[0.5, 0.2, 0.3]], target=[1]), "use probs= (nll takes", "--"),
    (dict(loss="kl", pred=[[-1.2, -0.3]], target=[[0.3, 0.7]]), 'use reduction="batchmean"',
     "--"),
    (dict(loss="poisson-nll", pred=[1.5, 0.2], target=[1.5, -1], log_input=False),
     "target= holds counts", "--"),
])
def test_notes_are_in_a_python_callers_words(call, said, not_said):
    """The library's notes name keywords, as its errors do (the CLI's say --logits …)."""
    notes = " ".join(losscalc.compute(**call).notes)
    assert said in notes and not_said not in notes, notes


def test_the_command_line_keeps_its_words(cli):
    code, _, err = cli("focal", "--logits", "0.5,0.2", "-t", "1,0")
    assert code == 0 and "--logits are all in [0, 1]" in err
