"""`losscalc info`: entropy, cross-entropy, KL and Jensen–Shannon divergence against PyTorch
(tests/data/golden_act.json: torch.special.entr, −xlogy, kl_divergence of Categoricals), the
tutorial's entropy example, the conventions (0·log 0 = 0, infinite where q = 0 < p, rows that do
not sum to 1), units, the explanation and the command line.

Expected numbers come from the torch data, from identities (D_KL = H(p, q) − H(p), KL(p‖p) = 0)
or from hand derivations in the comments.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import assert_close, load
from test_tape import evaluate_text, reevaluate

from losscalc.commands.info import explain
from losscalc.info import MEASURES, compute_info, resolve

GOLDEN = load("golden_act.json")["info"]
SEEDS = {e["id"]: e for e in load("seed-examples.json")}
DTYPES = ("float64", "float32")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: f"{c['measure']}-{c['case']}-{c['base']}")
def test_values_match_pytorch(case, dtype):
    r = compute_info(case["measure"], case["p"], case.get("q"), case["base"], dtype)
    assert r.value.dtype == np.dtype(dtype)
    assert_close(r.value, case[dtype]["value"], dtype, "value")
    if case[dtype]["terms"] is not None:
        assert_close(r.elementwise, case[dtype]["terms"], dtype, "terms")


def test_golden_covers_every_measure_base_and_convention():
    seen = {(c["measure"], c["base"]) for c in GOLDEN}
    assert seen == {(m, b) for m in MEASURES for b in ("e", "2", "10")}
    assert {"zeros-in-both", "q-zero-where-p-positive"} <= {c["case"] for c in GOLDEN}


@pytest.mark.parametrize("dtype", DTYPES)
def test_entropy_seed_example(cli, dtype):
    # 004-entropy: H(0.7, 0.2, 0.1) in nats; the tutorial's 0.804 rounds −ln 0.7 to 0.36
    # first. 004-entropy-terms: the self-information −ln p = (0.356675, 1.60944, 2.30259).
    e, terms = SEEDS["004-entropy"], SEEDS["004-entropy-terms"]
    code, out, _ = cli("info", "entropy", "--p", "0.7,0.2,0.1", "--dtype", dtype, "--json",
                       "--explain")
    obj = json.loads(out)
    assert_close(obj["value"], e[f"torch_{dtype}"], dtype)
    assert round(obj["value"], 3) == 0.802 != e["stated"]
    step = next(s for s in obj["steps"] if s["text"] == "I = −ln(p)")
    assert_close(step["value"], terms[f"torch_{dtype}"], dtype)


def test_kl_is_cross_entropy_minus_entropy_and_zero_for_equal_distributions():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(6), size=4)
    q = rng.dirichlet(np.ones(6), size=4)
    h = compute_info("entropy", p).value
    ce = compute_info("cross-entropy", p, q).value
    assert np.allclose(compute_info("kl", p, q).value, ce - h, rtol=1e-12, atol=1e-14)
    assert np.allclose(compute_info("kl", p, p).value, 0, atol=1e-15)
    assert np.all(compute_info("kl", p, q).value > 0)


def test_js_is_symmetric_and_at_most_ln_2():
    # Disjoint supports: m = ½ on each outcome, so JS = ½·ln 2 + ½·ln 2 = ln 2 = 1 bit.
    assert compute_info("js", [1.0, 0.0], [0.0, 1.0]).value == pytest.approx(math.log(2),
                                                                             rel=1e-15)
    assert compute_info("js", [1.0, 0.0], [0.0, 1.0], base="2").value == pytest.approx(1.0)
    p, q = [0.1, 0.6, 0.3], [0.5, 0.25, 0.25]
    assert compute_info("js", p, q).value == pytest.approx(compute_info("js", q, p).value,
                                                           rel=1e-15)


@pytest.mark.parametrize("base, unit, value", [
    ("e", "nats", math.log(2)), ("2", "bits", 1.0), ("10", "hartleys", math.log10(2))])
def test_units(cli, base, unit, value):
    # A fair coin: H = ln 2 nats = 1 bit = log₁₀ 2 = 0.30103 hartleys.
    code, out, _ = cli("info", "entropy", "--p", "0.5,0.5", "--base", base, "--json")
    obj = json.loads(out)
    assert obj["unit"] == unit and obj["value"] == pytest.approx(value, rel=1e-15)
    code, out, _ = cli("info", "entropy", "--p", "0.5,0.5", "--base", base, "--explain")
    lines = out.splitlines()
    assert f"in {unit}" in out and lines[-2].startswith("H = ") and lines[-2].endswith(unit)


def test_explain_names_the_logarithm():
    text = explain(compute_info("entropy", [0.5, 0.5]), resolve("entropy")).text()
    assert "natural logarithm (base e): the result is in nats — not base 10" in text
    text = explain(compute_info("kl", [0.5, 0.5], [0.9, 0.1], base="10"), resolve("kl")).text()
    assert "log₁₀ x = ln x / ln 10: the result is in hartleys" in text
    assert "ln 10 = 2.30259" in text
    assert "I_p = −ln(p) / ln 10" in text


def test_zero_probabilities():
    # 0·log 0 = 0: H(1, 0) = 0; H(p, q) with p = q = (½, ½, 0) is ln 2; KL is 0.
    assert compute_info("entropy", [1.0, 0.0]).value == 0.0
    assert compute_info("cross-entropy", [0.5, 0.5, 0], [0.5, 0.5, 0]).value == \
        pytest.approx(math.log(2), rel=1e-15)
    assert compute_info("kl", [0.5, 0.5, 0], [0.5, 0.5, 0]).value == 0.0


def test_q_zero_where_p_positive_is_infinite_with_a_note(cli):
    code, out, err = cli("info", "kl", "--p", "0.5,0.5", "--q", "1,0")
    assert code == 0 and out == "inf\n"
    assert "note: q = 0 where p > 0 (at index [1])" in err and "infinite" in err
    code, out, _ = cli("info", "js", "--p", "0.5,0.5", "--q", "1,0")
    assert math.isfinite(float(out))


def test_rows_must_sum_to_one(cli):
    code, out, err = cli("info", "entropy", "--p", "0.5,0.5; 0.5,0.4")
    assert (code, out) == (3, "")
    assert err.splitlines() == ["losscalc: error: entropy: row 1 of --p sums to 0.9, not 1",
                                "hint: add --normalize to divide each row by its sum"]
    # --normalize: (0.5, 0.4)/0.9 = (5/9, 4/9); H = −(5/9)ln(5/9) − (4/9)ln(4/9).
    code, out, err = cli("info", "entropy", "--p", "0.5,0.5; 0.5,0.4", "--normalize")
    a, b = 5 / 9, 4 / 9
    values = [float(v) for v in out.split()]
    assert values == [pytest.approx(math.log(2), rel=1e-15),
                      pytest.approx(-a * math.log(a) - b * math.log(b), rel=1e-14)]
    assert "normalize divided every row" in err


@pytest.mark.parametrize("args, code, fragment", [
    (["entropy"], 2, "entropy needs --p"),
    (["kl", "--p", "0.5,0.5"], 2, "kl needs --p and --q"),
    (["entropy", "--p", "0.5,0.5", "--q", "0.5,0.5"], 2, "takes only --p"),
    (["entropie", "--p", "1"], 2, "unknown measure"),
    (["entropy", "--p", "1", "--base", "3"], 2, "--base"),
    (["entropy", "--p", "1.5,-0.5"], 3, "probabilities >= 0; got -0.5 at index [1]"),
    (["entropy", "--p", "0.5"], 3, "at least one distribution"),
    (["kl", "--p", "0.5,0.5", "--q", "0.2,0.3,0.5"], 3, "--q has shape (3,)"),
    (["entropy", "--p", "0,0", "--normalize"], 3, "sums to 0"),
    (["entropy", "--p", "0.5,inf"], 3, "probabilities >= 0"),
])
def test_errors(cli, args, code, fragment):
    rc, out, err = cli("info", *args)
    assert rc == code, err
    assert out == "" and err.startswith("losscalc: error: ") and fragment in err, err


def test_aliases(cli):
    for name in ("Entropy", "shannon", "xent", "KL-Divergence", "relative_entropy", "jsd",
                 "jensen-shannon"):
        assert cli("info", name, "--p", "0.5,0.5", *([] if name in ("Entropy", "shannon")
                                                      else ["--q", "0.2,0.8"]))[0] == 0, name


# --- output forms ------------------------------------------------------------------------


def test_plain_one_value_per_row(cli):
    # Rows (1, 0) and (½, ½): H = 0 and ln 2.
    code, out, _ = cli("info", "entropy", "--p", "1,0; 0.5,0.5")
    assert out.splitlines() == ["0.0", repr(math.log(2))]


def test_json(cli):
    # H(p, q) with p = (½, ½), q = (¼, ¾): −½ln ¼ − ½ln ¾ = ½(ln 4 + ln 4/3).
    code, out, _ = cli("info", "cross-entropy", "--p", "0.5,0.5", "--q", "0.25,0.75", "--json")
    obj = json.loads(out)
    assert list(obj) == ["info", "unit", "dtype", "value", "elementwise", "shape", "params"]
    assert obj["value"] == pytest.approx(0.5 * (math.log(4) + math.log(4 / 3)), rel=1e-15)
    assert obj["elementwise"] == [pytest.approx(0.5 * math.log(4)),
                                  pytest.approx(0.5 * math.log(4 / 3))]
    assert obj["shape"] == {"p": [2], "q": [2]}
    assert obj["params"] == {"base": "e", "normalize": False}


def test_json_infinity_is_a_string(cli):
    code, out, _ = cli("info", "cross-entropy", "--p", "0.5,0.5", "--q", "1,0", "--json", "-q")
    assert json.loads(out)["value"] == "inf"


def test_csv_and_table(cli):
    code, out, _ = cli("info", "kl", "--p", "0.5,0.5", "--q", "0.5,0.5", "-f", "csv")
    assert out.splitlines() == ["index,p,q,term", "0,0.5,0.5,0.0", "1,0.5,0.5,0.0"]
    code, out, _ = cli("info", "kl", "--p", "0.5,0.5; 1,0", "--q", "0.5,0.5; 0.5,0.5",
                       "-f", "table", "--no-color")
    for text in ("kl  base e (nats) · float64", "value [0, 0.693147] nats", "Terms of the sum"):
        assert text in out, text


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_markdown_and_latex(cli, fmt):
    code, out, _ = cli("info", "js", "--p", "0.5,0.5", "--q", "0.9,0.1", "-f", fmt)
    assert code == 0 and ("\\begin{align*}" in out if fmt == "latex" else "**Formulas**" in out)


# --- the explanation ---------------------------------------------------------------------


def test_entropy_explanation_by_hand():
    # p = (0.7, 0.2, 0.1): I = −ln p = (0.356675, 1.60944, 2.30259); h = p·I =
    # (0.249672, 0.321888, 0.230259); H = 0.801819 nats.
    text = explain(compute_info("entropy", [0.7, 0.2, 0.1]), resolve("entropy")).text()
    for line in ("I = −ln([0.7, 0.2, 0.1]) = [0.356675, 1.60944, 2.30259]",
                 "h = [0.7, 0.2, 0.1]·[0.356675, 1.60944, 2.30259] = [0.249672, 0.321888, "
                 "0.230259]", "H = Σ_c([0.249672, 0.321888, 0.230259]) = 0.801819",
                 "H = 0.801819 nats"):
        assert line in text, line


def test_rows_are_explained_one_at_a_time():
    r = compute_info("kl", [[0.5, 0.5, 0.0]] * 5, [[0.25, 0.25, 0.5]] * 5, base="2")
    text = explain(r, resolve("kl")).text()
    # Row 0: d = ½·(log₂ 4 − log₂ 2) = ½ bit per nonzero p; the p = 0 term is 0 (not 0·∞).
    assert "row 0:" in text and "… 2 more rows (same steps)" in text
    assert "d = p·(I_q − I_p) if p > 0 else 0" in text
    assert "D = Σ_c([0.5, 0.5, 0]) = 1" in text


@pytest.mark.parametrize("name", list(MEASURES))
def test_every_step_reevaluates_to_its_value(name):
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(4), size=3)
    p[0, 1] = 0
    p /= p.sum(-1, keepdims=True)
    q = rng.dirichlet(np.ones(4), size=3)
    for base in ("e", "2"):
        r = compute_info(name, p, None if name == "entropy" else q, base)
        for step in r.steps:
            with np.errstate(all="ignore"):
                again = reevaluate(step.node)
            assert np.allclose(again, step.value, rtol=1e-12, atol=1e-14), step.formula
            assert np.allclose(evaluate_text(step), step.value, rtol=1e-5, atol=1e-9), \
                step.formula
