"""Exact streamed sums, --partial and `losscalc merge`: shards merged in any split and any
order give, bit for bit, what one stream over the whole table gives. The expected values come
from math.fsum (the correctly rounded sum of the per-element losses, worked out with NumPy's
elementwise operations, which round each element as the loss does)."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from losscalc import csvsource
from losscalc import streaming as stream
from losscalc.exactsum import ExactSum, total

finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.lists(finite, max_size=60), st.integers(0, 60))
def test_exact_sum_is_fsum_whatever_the_cut(values, cut):
    whole, left, right = ExactSum(), ExactSum(), ExactSum()
    whole.add_array(np.array(values))
    left.add_array(np.array(values[:cut]))
    right.add_array(np.array(values[cut:]))
    right.merge(left)
    try:
        expected = math.fsum(values)
    except OverflowError:  # fsum gives up on an intermediate overflow, even where the sum
        expected = _rounded(sum(map(Fraction, values)))  # rounds to the largest double
    assert whole.value == expected and right.units == whole.units
    if math.isfinite(expected):  # a sum beyond doubles is written as ±inf
        assert ExactSum.from_terms(whole.terms()).units == whole.units


def _rounded(exact: Fraction) -> float:
    """The exact sum correctly rounded (int division rounds correctly), ±inf beyond doubles."""
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def test_exact_sum_of_non_finite_values():
    for values, expected in (([1.0, math.inf], math.inf), ([math.inf, -math.inf], math.nan),
                             ([2.0, math.nan], math.nan)):
        exact = ExactSum()
        exact.add_array(np.array(values))
        assert exact.value == expected or (math.isnan(expected) and math.isnan(exact.value))


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=80))
def test_a_few_values_sum_to_what_an_exact_sum_gives(values):
    """exactsum.total takes math.fsum's short cut for a few finite values (a loss's reduction
    in batch): the same bits as the ExactSum of the streamed path. The reference is
    independent of both: the finite values' exact sum as a Fraction, correctly rounded (±inf
    beyond the largest double), plus the non-finite ones as floats add (inf − inf and any
    NaN are NaN; a finite part that overflowed meets an infinity as inf does)."""
    exact = ExactSum()
    exact.add_array(np.array(values, dtype=float))
    got = total(values)
    assert got == exact.value or (math.isnan(got) and math.isnan(exact.value))
    finite = _rounded(sum((Fraction(v) for v in values if math.isfinite(v)), Fraction(0)))
    expected = finite + sum(v for v in values if not math.isfinite(v))
    assert got == expected or (math.isnan(got) and math.isnan(expected)), (got, expected)


def _rows(pred, target):
    return "pred,target\n" + "".join(f"{float(p)!r},{float(t)!r}\n" for p, t in zip(pred, target))


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 256 bytes, so that every shard and the whole are many chunks, cut apart."""
    monkeypatch.setattr(csvsource, "CHUNK_BYTES", 256)
    monkeypatch.setattr(stream, "IN_MEMORY_VALUES", 8)


def _partial(cli, path, *args):
    code, out, err = cli("mse", "--table", path, "--partial", *args)
    assert code == 0, err
    return out


@pytest.mark.parametrize("cuts, order", [((500,), (0, 1)), ((1, 999), (2, 0, 1)),
                                         ((137, 600, 601), (3, 1, 0, 2))])
def test_merged_shards_equal_the_whole_bit_for_bit(cli, tmp_path, small_chunks, cuts, order):
    rng = np.random.default_rng(11)
    pred, target = rng.normal(size=1000) * 10.0 ** rng.integers(-8, 8, 1000), rng.normal(size=1000)
    (tmp_path / "all.csv").write_text(_rows(pred, target))
    whole = cli("mse", "--table", tmp_path / "all.csv")[1]
    bounds = (0, *cuts, 1000)
    shards = []
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        (tmp_path / f"s{i}.csv").write_text(_rows(pred[a:b], target[a:b]))
        (tmp_path / f"p{i}.json").write_text(_partial(cli, tmp_path / f"s{i}.csv"))
        shards.append(tmp_path / f"p{i}.json")
    code, merged, err = cli("merge", *[shards[i] for i in order])
    assert code == 0, err
    expected = math.fsum((pred - target) ** 2) / 1000  # correctly rounded sum, one division
    assert merged == whole == f"{expected!r}\n"


def test_merged_weighted_mean_and_json(cli, tmp_path, small_chunks):
    rng = np.random.default_rng(5)
    logits, labels = rng.normal(size=(300, 3)), rng.integers(0, 3, 300)
    rows = "".join(",".join(repr(float(v)) for v in z) + f",{y}\n" for z, y in zip(logits, labels))
    head = "logit_0,logit_1,logit_2,label\n"
    weight = np.array([1.0, 2.0, 3.0])
    (tmp_path / "a.csv").write_text(head + rows[:rows.index("\n", 4000) + 1])
    (tmp_path / "b.csv").write_text(head + rows[rows.index("\n", 4000) + 1:])
    for name in ("a", "b"):
        code, out, err = cli("ce", "--table", tmp_path / f"{name}.csv", "--weight", "1,2,3",
                             "--partial")
        assert code == 0, err
        (tmp_path / f"{name}.json").write_text(out)
    code, out, err = cli("merge", tmp_path / "b.json", tmp_path / "a.json", "--json")
    assert code == 0, err
    document = json.loads(out)
    # weighted CE by hand: Σ w_y·(logsumexp(z) − z_y) / Σ w_y
    shifted = logits - logits.max(axis=1, keepdims=True)
    nll = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(300), labels]
    expected = math.fsum(weight[labels] * nll) / math.fsum(weight[labels])
    assert abs(document["value"] - expected) <= 1e-12 * expected
    assert document["loss"] == "ce" and document["shape"]["pred"] == [300, 3]
    partial = json.loads((tmp_path / "a.json").read_text())
    rows_a = (tmp_path / "a.csv").read_text().count("\n") - 1  # counted apart: not the output's
    assert partial["rows"] == rows_a
    assert float.fromhex(partial["divisor"][0]) == math.fsum(weight[labels][:rows_a])


def test_shards_of_different_computations_are_refused(cli, tmp_path):
    (tmp_path / "t.csv").write_text("pred,target\n1,2\n3,5\n")
    (tmp_path / "mse.json").write_text(_partial(cli, tmp_path / "t.csv"))
    code, out, err = cli("l1", "--table", tmp_path / "t.csv", "--partial")
    (tmp_path / "l1.json").write_text(out)
    code, out, err = cli("merge", tmp_path / "mse.json", tmp_path / "l1.json")
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "l1.json is a partial of l1 (mean, float64)" in err and "do not merge" in err


def test_partial_document_holds_the_exact_sum(cli, tmp_path):
    (tmp_path / "t.csv").write_text("pred,target\n1e16,0\n1,0\n")  # 1e32 + 1: not one double
    document = json.loads(_partial(cli, tmp_path / "t.csv", "-r", "sum"))
    assert [float.fromhex(t) for t in document["sum"]] == [1e32, 1.0]
    assert document["rows"] == 2 and document["divisor"] == [float(2).hex()]


def test_partial_needs_a_table_and_a_reduction(cli, tmp_path):
    code, _, err = cli("mse", "-p", "1", "-t", "2", "--partial")
    assert code == 2 and "--partial needs a table" in err
    (tmp_path / "t.csv").write_text("pred,target\n1,2\n")
    code, _, err = cli("mse", "--table", tmp_path / "t.csv", "--partial", "-r", "none")
    assert code == 2 and "give --reduction mean, sum or batchmean" in err
    (tmp_path / "junk.json").write_text('{"loss": "mse"}')
    code, _, err = cli("merge", tmp_path / "junk.json")
    assert code == 3 and "not a partial result of losscalc --partial" in err
    code, _, err = cli("merge", tmp_path / "absent.json")
    assert code == 4 and "no such file" in err


def test_a_partial_of_an_infinite_sum_is_strict_json(cli, tmp_path):
    # (1e200 − 0)² overflows to inf: the shard's value is inf, written "inf", never Infinity
    path = tmp_path / "shard.csv"
    path.write_text("pred,target\n1e200,0\n1,1\n")
    code, out, err = cli("mse", "--table", path, "--partial", "-r", "sum")
    document = json.loads(out, parse_constant=lambda word: pytest.fail(f"bare {word}"))
    assert code == 0 and document["value"] == "inf", (out, err)
