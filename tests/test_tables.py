"""Tables in (--csv, piped CSV): formats, column selection, bad data with its line number,
and streaming — chunk sizes are made tiny here so that every file is many chunks, and the
streamed value must equal the in-memory one."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from conftest import assert_close, load

from losscalc import csvsource
from losscalc import streaming as stream
from losscalc.core import compute
from losscalc.exactsum import ExactSum

SEEDS = {e["id"]: e for e in load("seed-examples.json")}


def write(tmp_path, name, text, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


@pytest.fixture(autouse=True)
def parser(each_parser):
    """Every test runs with NumPy's parser, and again with pyarrow's when it is installed."""
    return each_parser


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Chunks of 64 bytes, streaming after 8 numbers, worker processes after 256 bytes."""
    monkeypatch.setattr(csvsource, "CHUNK_BYTES", 64)
    monkeypatch.setattr(csvsource, "PARALLEL_BYTES", 256)
    monkeypatch.setattr(stream, "IN_MEMORY_VALUES", 8)


# --- formats -------------------------------------------------------------------------------

MSE_ROWS = "1,1\n2,2\n3,5\n"  # (0 + 0 + 2²)/3 = 4/3


@pytest.mark.parametrize("name, text", [
    ("plain.csv", "pred,target\n" + MSE_ROWS),
    ("noheader.csv", MSE_ROWS),
    ("crlf.csv", "pred,target\r\n1,1\r\n2,2\r\n3,5\r\n"),
    ("bom.csv", "\ufeffpred,target\n" + MSE_ROWS),
    ("comments.csv", "# exported from a notebook\npred,target\n\n1,1\n# a comment\n2,2\n\n3,5\n"),
    ("quoted.csv", '"pred","target"\n"1","1"\n2,"2"\n"3",5\n'),
    ("semicolon.csv", "pred;target\n1;1\n2;2\n3;5\n"),
    ("data.tsv", "pred\ttarget\n1\t1\n2\t2\n3\t5\n"),
    ("spaces.txt", "1 1\n2  2\n3\t5\n"),
])
def test_table_formats(cli, tmp_path, name, text):
    path = write(tmp_path, name, text)
    code, out, err = cli("mse", "--csv", path)
    assert (code, err) == (0, "")
    assert float(out) == 4 / 3


def test_piped_csv_is_read_when_no_tensor_option_is_given(cli):
    code, out, err = cli("mse", stdin="pred,target\n" + MSE_ROWS)
    assert code == 0 and float(out) == 4 / 3
    code, out, err = cli("mse", "--csv", "-", stdin=MSE_ROWS)
    assert code == 0 and float(out) == 4 / 3


def test_explicit_delimiter_and_no_header(cli, tmp_path):
    path = write(tmp_path, "d.csv", "1|1\n2|2\n3|5\n")
    assert float(cli("mse", "--csv", path, "--delimiter", "|")[1]) == 4 / 3
    # A numeric first row is data anyway; --no-header makes a textual one data too → error.
    path = write(tmp_path, "h.csv", "a,b\n1,1\n")
    code, _, err = cli("mse", "--csv", path, "--no-header")
    assert code == 3 and 'line 1, column 0: cannot read "a"' in err


def test_logits_in_columns_by_glob_range_and_list(cli, tmp_path):
    # 002-ce-targets-1-2: logits [[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]], targets [1, 2].
    text = "id,logit_0,logit_1,logit_2,label\n0,0.5,0.3,0.2,1\n1,0.3,0.6,0.1,2\n"
    path = write(tmp_path, "ce.csv", text)
    expected = SEEDS["002-ce-targets-1-2"]["torch_float64"]
    for cols in ("logit_*", "1:4", "1,2,3", "logit_0,logit_1,logit_2"):
        code, out, err = cli("ce", "--csv", path, "--pred-col", cols, "--target-col", "label",
                             "-q")
        assert code == 0, err
        assert_close(float(out), expected)
    # Defaults: logit_* columns are the prediction, label the target.
    assert_close(float(cli("ce", "--csv", path, "-q")[1]), expected)


def test_weight_column_for_bce(cli, tmp_path):
    # weights (2, 1): (2·(−ln 0.8) + 1·(−ln 0.6))/2
    path = write(tmp_path, "w.csv", "probs,target,w\n0.8,1,2\n0.4,0,1\n")
    code, out, _ = cli("bce", "--csv", path, "--pred-col", "probs", "--target-col", "target",
                       "--weight-col", "w")
    assert code == 0
    assert math.isclose(float(out), (-2 * math.log(0.8) - math.log(0.6)) / 2, rel_tol=1e-15)
    code, _, err = cli("ce", "--csv", path, "--weight-col", "w")
    assert code == 2 and "per class" in err


def test_reduction_none_csv_rows(cli, tmp_path):
    path = write(tmp_path, "a.csv", "pred,target\n" + MSE_ROWS)
    code, out, _ = cli("mse", "--csv", path, "-r", "none", "-f", "csv")
    # ℓ = d², ∂(Σℓ)/∂x = 2d with d = (0, 0, −2)
    assert out == "index,loss,grad\n0,0.0,0.0\n1,0.0,0.0\n2,4.0,-4.0\n"


# --- bad data -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("pred,target\n1,1\n2,0.3.1\n", 'line 3, column "target": cannot read "0.3.1" as a number'),
    ("pred,target\n1,1\n2,2,2\n", "line 3: has 3 fields, expected 2"),
    ("pred,target\n1,1\nnan,2\n", 'line 3, column "pred": NaN is not allowed'),
    ("1,1\n\n2,x\n", 'line 3, column 1: cannot read "x"'),
    ("pred,target\n", "no rows of numbers"),
])
def test_bad_data_names_line_and_column(cli, tmp_path, text, message):
    path = write(tmp_path, "bad.csv", text)
    code, out, err = cli("mse", "--csv", path)
    assert code == 3 and out == ""
    assert err.startswith("losscalc: error: ") and message in err, err


def test_skip_bad_rows_reports_the_count(cli, tmp_path):
    path = write(tmp_path, "bad.csv", "pred,target\n1,1\n2,0.3.1\n3,x\n3,5\n")
    code, out, err = cli("mse", "--csv", path, "--skip-bad-rows")
    assert code == 0 and float(out) == 2.0  # rows (1,1) and (3,5): (0 + 4)/2
    assert "skipped 2 unreadable rows" in err


def test_bad_column_names_are_usage_errors(cli, tmp_path):
    path = write(tmp_path, "a.csv", "pred,target\n" + MSE_ROWS)
    code, _, err = cli("mse", "--csv", path, "--pred-col", "nope")
    assert code == 2 and "no column 'nope'" in err and "pred, target" in err
    code, _, err = cli("mse", "--csv", path, "--pred-col", "5")
    assert code == 2 and "no column 5" in err
    assert cli("mse", "--csv", str(tmp_path / "missing.csv"))[0] == 4
    code, _, err = cli("mse", "--csv", path, "-p", "1")
    assert code == 2


# --- streaming: many chunks, the same answer ------------------------------------------------


def _table(rng, n, kind):
    if kind == "regression":
        pred, target = rng.normal(size=n), rng.normal(size=n)
        return pred, target, "pred,target\n" + "".join(f"{float(p)!r},{float(t)!r}\n"
                                                       for p, t in zip(pred, target))
    logits = rng.normal(size=(n, 3))
    labels = rng.integers(0, 3, size=n)
    rows = "".join(",".join(repr(float(v)) for v in z) + f",{y}\n"
                   for z, y in zip(logits, labels))
    return logits, labels, "logit_0,logit_1,logit_2,label\n" + rows


@pytest.mark.parametrize("loss, kind, params, reduction", [
    ("mse", "regression", [], "mean"),
    ("l1", "regression", [], "sum"),
    ("huber", "regression", ["--delta", "0.5"], "mean"),
    ("ce", "classes", ["--weight", "1,2,3"], "mean"),
    ("ce", "classes", ["--weight", "1,2,3", "--label-smoothing", "0.2"], "mean"),
])
@pytest.mark.parametrize("path_taken", ["streamed", "in memory"])
def test_streamed_equals_in_memory(cli, tmp_path, tiny_chunks, monkeypatch, path_taken, loss,
                                   kind, params, reduction):
    if path_taken == "in memory":  # the test-only override: gather up to a billion rows
        monkeypatch.setenv(stream.STREAM_ROWS, str(10**9))
    pred, target, text = _table(np.random.default_rng(1), 300, kind)
    path = write(tmp_path, "t.csv", text)
    code, out, err = cli(loss, "--csv", path, "-r", reduction, *params)
    assert code == 0, err
    assert ("streamed 300 rows" in err) == (path_taken == "streamed")
    named = {"--weight": "weight", "--delta": "delta", "--label-smoothing": "label_smoothing"}
    values = {named[k]: (np.array(v.split(","), float) if "," in v else float(v))
              for k, v in zip(params[::2], params[1::2])}
    expected = compute(loss, pred, target, values, reduction).value  # the in-memory path
    assert abs(float(out) - expected) <= 1e-12 * max(1.0, abs(expected))


def test_streamed_rows_and_stdin(cli, tmp_path, tiny_chunks):
    pred, target, text = _table(np.random.default_rng(2), 50, "regression")
    code, out, err = cli("mse", "-r", "none", "-f", "csv", stdin=text)
    rows = out.splitlines()
    assert rows[0] == "index,loss,grad" and len(rows) == 51
    index, loss, grad = rows[37].split(",")
    d = pred[36] - target[36]
    assert (int(index), float(loss), float(grad)) == (36, d * d, 2 * d)  # ℓ = d², ∂ℓ/∂x = 2d


def test_streamed_json_has_the_value_and_says_what_it_dropped(cli, tmp_path, tiny_chunks):
    pred, target, text = _table(np.random.default_rng(3), 40, "regression")
    code, out, err = cli("mse", "--csv", write(tmp_path, "t.csv", text), "--json")
    obj = json.loads(out)
    assert list(obj) == ["loss", "reduction", "dtype", "value", "elementwise", "grad", "shape",
                         "params"]
    assert obj["elementwise"] is None and obj["grad"] is None
    assert obj["shape"] == {"pred": [40], "target": [40]}
    assert abs(obj["value"] - np.mean((pred - target) ** 2)) < 1e-14


def with_bad_row(tmp_path, rows: list[str], at: int, bad: str) -> str:
    """A pred,target table of ``rows`` whose row ``at`` is ``bad``."""
    rows[at] = bad
    return write(tmp_path, "t.csv", "pred,target\n" + "\n".join(rows) + "\n")


def test_streamed_bad_row_names_its_line(cli, tmp_path, tiny_chunks):
    path = with_bad_row(tmp_path, [f"{i},{i}" for i in range(100)], 70, "70,seventy")
    code, out, err = cli("mse", "--csv", path)
    assert code == 3 and 'line 72, column "target": cannot read "seventy"' in err


def test_the_workers_compute_a_streamed_sum(cli, tmp_path, tiny_chunks, monkeypatch):
    # Without per-row output, the chunks handed out once streaming has begun come back as
    # their sums (computed by the workers, or threads, that parse them), not as arrays.
    pred, target, text = _table(np.random.default_rng(4), 400, "regression")
    path = write(tmp_path, "t.csv", text)
    merged = []
    original = stream._Streamer.merge
    monkeypatch.setattr(stream._Streamer, "merge",
                        lambda self, chunk: (merged.append(chunk), original(self, chunk))[1])
    local = []
    add = stream._Streamer.add
    monkeypatch.setattr(stream._Streamer, "add",
                        lambda self, array: (local.append(len(array)), add(self, array))[1])
    code, out, err = cli("mse", "--csv", path, "-r", "sum")
    assert code == 0, err
    assert len(merged) > len(local) > 0  # the first chunks before streaming began: here
    assert sum(chunk.rows for chunk in merged) == 400
    assert abs(float(out) - np.sum((pred - target) ** 2)) <= 1e-12 * np.sum((pred - target) ** 2)


def test_a_loss_error_in_a_worker_names_its_row_in_the_table(cli, tmp_path, tiny_chunks):
    # bce's target must lie in [0, 1]: row 350's 1.5 is refused by the worker's chunk, and
    # the message names its index in the whole table, as the table read at once does.
    rows = [f"0.5,{i % 2}" for i in range(400)]
    path = with_bad_row(tmp_path, rows, 350, "0.5,1.5")
    code, out, err = cli("bce", "--csv", path)
    assert (code, err) == (3, "losscalc: error: bce: --target must lie in [0, 1]; got 1.5 at "
                              "index [350]\n")


def test_expect_on_a_streamed_table(cli, tmp_path, tiny_chunks):
    path = write(tmp_path, "t.csv", "".join(f"{i},{i + 1}\n" for i in range(100)))
    assert cli("mse", "--csv", path, "--expect", "1", "-q")[0] == 0  # every d = −1
    assert cli("mse", "--csv", path, "--expect", "2", "-q")[0] == 1


def test_a_streamed_table_says_it_skipped_explain_and_check_grad(cli, tmp_path, tiny_chunks):
    path = write(tmp_path, "t.csv", "".join(f"{i},{i + 1}\n" for i in range(100)))
    code, out, err = cli("mse", "--csv", path, "--explain", "--check-grad")
    assert code == 0 and float(out) == 1.0  # every d = −1
    assert "--explain and --check-grad need the whole table in memory" in err
    assert "skipped" not in cli("mse", "--csv", path)[2]


def test_the_streamed_sum_keeps_the_low_bits():
    total = ExactSum()
    for v in (1e16, 1.0, -1e16, 1.0):
        total.add(v)
    assert total.value == 2.0  # a plain float sum gives 1.0 or 0.0


def test_table_reader_reads_bytes_from_a_text_stream():
    table = csvsource.Table("-", stdin=io.StringIO("a,b\n1,2\n"))
    assert table.header == ["a", "b"] and table.columns == 2
    (array, skipped), = list(csvsource.read_chunks(table))
    assert array.tolist() == [[1.0, 2.0]] and skipped == 0


def test_no_progress_bar_off_a_terminal(cli, tmp_path, tiny_chunks, monkeypatch):
    monkeypatch.setattr(stream, "PROGRESS_AFTER", 0.0)  # would show at once on a terminal
    pred, target, text = _table(np.random.default_rng(4), 200, "regression")
    code, out, err = cli("mse", "--csv", write(tmp_path, "t.csv", text), "-q")
    assert code == 0 and err == ""  # stderr is a pipe here: no bar, and -q: no note


def test_ranges_ending_inside_lines_longer_than_the_slack(cli, tmp_path, tiny_chunks,
                                                           monkeypatch):
    # 4 bytes of slack: most 64-byte ranges end inside a line longer than that, which is then
    # completed line by line. Rows (1, 3) lose (1 − 3)² = 4, rows (2, 2) lose 0: k of n rows
    # give the mean 4k/n (the streamed sum is exact, and so is 4k/n rounded once).
    monkeypatch.setattr(csvsource, "LINE_SLACK", 4)
    rows = ["1." + "0" * (i % 40) + ",3" if i % 3 else "2,2" for i in range(300)]
    path = write(tmp_path, "long.csv", "pred,target\n" + "\n".join(rows) + "\n")
    code, out, err = cli("mse", "--csv", path, "-q")
    k = sum(1 for i in range(300) if i % 3)
    assert (code, float(out)) == (0, 4 * k / 300)
