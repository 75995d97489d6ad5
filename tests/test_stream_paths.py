"""The same answer at every size: a table computed at once and the same table streamed chunk
by chunk give PyTorch's values (tests/data/golden.json), also where they are inf or nan.

LOSSCALC_STREAM_ROWS (docs/testing.md) streams any table of more rows than it says, so every
golden case that is a table (one row per sample) runs through both paths; csvsource's chunks
are made tiny so that a streamed table is many chunks.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import as_array, assert_close, load, table_paths

from losscalc import csvsource
from losscalc import streaming as stream
from losscalc.exactsum import ExactSum
from losscalc.losses import resolve

CASES = load("golden.json")["cases"]
CLASS_INDICES = ("ce", "nll")  # a (N, C) prediction with a (N,) target of class indices


def _cell(v) -> str:
    return repr(float(v))


def _as_table(case):
    """(the CSV text, the column options, the parameter options) of a golden case whose
    tensors are one row per sample; None for the others (unbatched, K-dimensional, …)."""
    pred = as_array(case["inputs"]["pred"])
    target = as_array(case["inputs"].get("target", []))
    if pred.ndim == 1 and target.shape == pred.shape and case["loss"] not in CLASS_INDICES + (
            "kl", "multilabel-soft-margin"):
        header, rows = "p,t", [[_cell(p), _cell(t)] for p, t in zip(pred, target)]
        columns = ["--pred-col", "p", "--target-col", "t"]
    elif pred.ndim == 2 and (target.shape == pred.shape or (
            case["loss"] in CLASS_INDICES and target.shape == pred.shape[:1])):
        width, twidth = pred.shape[1], 1 if target.ndim == 1 else target.shape[1]
        header = ",".join([f"p{c}" for c in range(width)] + [f"t{c}" for c in range(twidth)])
        rows = [[_cell(v) for v in p] + [_cell(v) for v in np.atleast_1d(t)]
                for p, t in zip(pred, target)]
        columns = ["--pred-col", ",".join(f"p{c}" for c in range(width)),
                   "--target-col", ",".join(f"t{c}" for c in range(twidth))]
    else:
        return None
    options = _param_options(case)
    if options is None:
        return None
    text = header + "\n" + "".join(",".join(r) + "\n" for r in rows)
    return text, columns, options


def _param_options(case):
    """The case's parameters as options; None when one is per sample (bce's weight of shape
    (N,) is not a column here)."""
    spec = resolve(case["loss"])
    params = {p.name: p for p in spec.params}
    out = []
    for name, value in case["params"].items():
        p = params[name]
        if p.kind == "bool":
            if bool(value) != bool(p.default):
                out.append(p.option.split(" / ")[0 if value else -1])
            continue
        if isinstance(value, list):
            if case["loss"] == "bce" or np.ndim(value) != 1:
                return None
            out += [p.option, ",".join(_cell(v) for v in value)]
        else:
            out += [p.option, str(value)]
    return out


TABLES = [(c, t) for c in CASES if "error" not in c for t in [_as_table(c)] if t is not None]


@pytest.fixture(params=["in memory", "streamed"])
def path_taken(request, monkeypatch):
    if request.param == "streamed":
        monkeypatch.setenv(stream.STREAM_ROWS, "0")
        monkeypatch.setattr(csvsource, "CHUNK_BYTES", 64)
    else:
        monkeypatch.delenv(stream.STREAM_ROWS, raising=False)
    return request.param


def test_enough_golden_cases_are_tables():
    assert len(TABLES) >= 150
    assert {c["loss"] for c, _ in TABLES} >= {"mse", "l1", "huber", "ce", "nll", "bce", "kl",
                                              "bce-logits", "smooth-l1"}


@pytest.mark.parametrize("case, table", TABLES, ids=[c["id"] for c, _ in TABLES])
def test_golden_tables_through_both_paths(cli, tmp_path, path_taken, case, table):
    text, columns, options = table
    path = tmp_path / "t.csv"
    path.write_text(text)
    args = [case["loss"], "--csv", str(path), *columns, *options, "-r", case["reduction"],
            "--dtype", case["dtype"], "-q"]
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    document = json.loads(out, parse_constant=_refuse)
    assert_close(as_array(document["value"]), case["value"], case["dtype"], "value")
    if case["reduction"] == "none" or path_taken == "in memory":
        # --reduction none prints every per-element loss and gradient at every size
        assert_close(as_array(document["elementwise"]), case["elementwise"], case["dtype"],
                     "elementwise")
        assert_close(as_array(document["grad"]["pred"]), case["grad"]["pred"], case["dtype"],
                     "grad")
    else:
        assert document["elementwise"] is None  # it was streamed
    if case["reduction"] == "none":
        # plain prints each per-element loss on a line, written chunk by chunk when streamed
        code, out, err = cli(*args, "--format", "plain")
        assert code == 0, err
        assert_close([float(v) for v in out.split()], np.ravel(as_array(case["elementwise"])),
                     case["dtype"], "plain")


@pytest.mark.parametrize("case, table", [(c, t) for c, t in TABLES if c["reduction"] != "none"],
                         ids=[c["id"] for c, _ in TABLES if c["reduction"] != "none"])
def test_csv_rows_hold_the_gradient_of_the_reduced_loss_on_both_paths(cli, tmp_path, path_taken,
                                                                       case, table):
    """--format csv of a mean (or batchmean, sum) writes PyTorch's gradient of that reduced
    loss per row also when the table streams, whose divisor is known only at its end."""
    text, columns, options = table
    path = tmp_path / "t.csv"
    path.write_text(text)
    code, out, err = cli(case["loss"], "--csv", str(path), *columns, *options, "-r",
                         case["reduction"], "--dtype", case["dtype"], "-q", "--format", "csv")
    assert code == 0, err
    header, *lines = [line.split(",") for line in out.splitlines()]
    loss, grads = header.index("loss"), [i for i, h in enumerate(header) if h.startswith("grad")]
    assert_close([float(r[loss]) for r in lines], np.ravel(as_array(case["elementwise"])),
                 case["dtype"], "loss column")
    assert_close([float(r[i]) for r in lines for i in grads], np.ravel(as_array(
        case["grad"]["pred"])), case["dtype"], "grad columns")


def _refuse(name):
    raise AssertionError(f"not strict JSON: {name}")


# --- non-finite sums, empty means: as NumPy's sum -------------------------------------------


@pytest.mark.parametrize("rows, expected", [
    (["1e200,0"], math.inf),  # (1e200)² overflows: inf
    (["1e200,0", "-1e200,0"], math.inf),  # inf + inf = inf
    (["1e155,0"] * 3, math.inf),  # each 1e310 overflows
    (["inf,inf"], math.nan),  # (inf − inf)² = nan
    (["1e200,0", "inf,inf"], math.nan),  # inf + nan = nan
])
def test_non_finite_rows_give_the_same_value_streamed(cli, tmp_path, monkeypatch, rows,
                                                      expected):
    path = tmp_path / "t.csv"
    # the non-finite rows among ordinary ones ((1 − 0)² = 1 each), in different chunks
    path.write_text("p,t\n" + "".join(f"{r}\n" for r in ["1,0"] * 20 + rows + ["1,0"] * 20))
    for limit in table_paths(monkeypatch, 64, "0", "5"):
        for reduction in ("mean", "sum"):
            code, out, err = cli("mse", "--csv", str(path), "-r", reduction, "-q")
            assert code == 0, err
            value = float(out)
            assert (math.isnan(value) and math.isnan(expected)) or value == expected, (
                limit, reduction, value)


def test_a_float32_sum_beyond_its_range_is_inf_streamed_too(cli, tmp_path, monkeypatch):
    # each row (1e19 − 0)² = 1e38 fits float32 (max ≈ 3.4e38); four of them do not
    path = tmp_path / "t.csv"
    path.write_text("p,t\n" + "1e19,0\n" * 4)
    for limit in table_paths(monkeypatch, 16, "0"):
        code, out, err = cli("mse", "--csv", str(path), "-r", "sum", "--dtype", "float32")
        assert code == 0 and float(out) == math.inf, (limit, out, err)


def test_a_mean_over_no_counted_target_is_nan_on_both_paths(cli, tmp_path, monkeypatch):
    # ce with every target ignored: Σ w_y = 0, so the mean is 0/0 = nan, as PyTorch
    path = tmp_path / "t.csv"
    path.write_text("p0,p1,t\n" + "0.5,1.5,-100\n" * 30)
    for limit in table_paths(monkeypatch, 64, "0"):
        code, out, err = cli("ce", "--csv", str(path), "--pred-col", "p0,p1", "--target-col",
                             "t", "-q")
        assert code == 0 and math.isnan(float(out)), (limit, out, err)


def test_weighted_means_agree(cli, tmp_path, monkeypatch):
    # ce with class weights (1, 3): rows of class 0 and 1 alternate; every row's loss is
    # w_y·(log(e^0 + e^0) − 0) = w_y·ln 2, so the weighted mean Σ w_y ln 2 / Σ w_y = ln 2
    path = tmp_path / "t.csv"
    path.write_text("p0,p1,t\n" + "".join(f"0,0,{i % 2}\n" for i in range(41)))
    for limit in table_paths(monkeypatch, 64, "0", "7"):
        code, out, err = cli("ce", "--csv", str(path), "--pred-col", "p0,p1", "--target-col",
                             "t", "--weight", "1,3", "-q")
        assert code == 0 and abs(float(out) - math.log(2)) < 1e-15, (limit, out)


def test_reduction_none_json_of_a_large_table_has_every_row(cli, tmp_path, monkeypatch):
    monkeypatch.setenv(stream.STREAM_ROWS, "0")
    path = tmp_path / "t.csv"
    path.write_text("p,t\n" + "".join(f"{i},0\n" for i in range(50)))
    code, out, err = cli("mse", "--csv", str(path), "-r", "none", "--json")
    document = json.loads(out)
    assert document["elementwise"] == [float(i * i) for i in range(50)]  # ℓᵢ = i²
    assert document["value"] == document["elementwise"]
    assert document["grad"]["pred"] == [2.0 * i for i in range(50)]  # ∂ℓᵢ/∂xᵢ = 2i


def test_the_streamed_sum_follows_numpy_for_non_finite_addends():
    cases = [([math.inf, math.inf], math.inf), ([math.inf, -math.inf], math.nan),
             ([1.0, math.nan, 2.0], math.nan), ([1e308, 1e308], math.inf),
             ([-1e308, -1e308, 1.0], -math.inf), ([math.inf, 1.0, -1.0], math.inf)]
    for addends, expected in cases:
        total = ExactSum()
        for v in addends:
            total.add(v)
        with np.errstate(all="ignore"):
            numpy_sum = float(np.sum(addends))
            assert math.isnan(numpy_sum) if math.isnan(expected) else numpy_sum == expected
        assert total.value == expected or (math.isnan(total.value) and math.isnan(expected)), \
            addends


def test_a_streamed_table_says_what_its_reduction_means(cli, tmp_path, monkeypatch):
    """kl's mean divides by every element: a streamed table says so too, though its chunks
    are summed (core.reduction_note)."""
    path = tmp_path / "k.csv"
    path.write_text("x,y\n-1.2,0.2\n-0.8,0.5\n-1.5,0.3\n")
    for _ in table_paths(monkeypatch, 16, "0"):
        code, _, err = cli("kl", "--table", str(path), "--pred-col", "x", "--target-col", "y")
        assert code == 0 and "reduction 'mean' divides by every element" in err, err
