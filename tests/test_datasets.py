"""--table with Parquet, Arrow IPC / Feather and datasets (folders and globs of files): the
same values as the same rows read from a CSV, computed here with NumPy from the rows."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from losscalc import arrowsource
from losscalc import streaming as stream

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
feather = pytest.importorskip("pyarrow.feather")

N = 1000


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    pred, target = rng.normal(size=N), rng.normal(size=N)
    weight = rng.uniform(0.5, 2.0, size=N)
    labels = (target > 0).astype(float)
    table = pa.table({"id": np.arange(N), "note": ["text"] * N, "pred": pred,
                      "target": target, "w": weight})
    return table, pred, target, labels, weight


def _csv(tmp_path, pred, target):
    path = tmp_path / "same.csv"
    path.write_text("pred,target\n" + "".join(f"{float(p)!r},{float(t)!r}\n" for p, t in zip(pred, target)))
    return str(path)


def _value(cli, *args):
    code, out, err = cli(*args)
    assert code == 0, err
    return float(out)


def _rel(a, b):
    return abs(a - b) / max(1.0, abs(b))


@pytest.mark.parametrize("streamed", [False, True])
def test_parquet_and_feather_equal_the_csv(cli, tmp_path, data, monkeypatch, streamed):
    table, pred, target, _, _ = data
    if streamed:
        monkeypatch.setattr(stream, "IN_MEMORY_VALUES", 8)
        monkeypatch.setattr(arrowsource, "BATCH_ROWS", 97)
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=300)
    feather.write_feather(table, tmp_path / "t.feather")
    expected = float(np.mean((pred - target) ** 2))  # MSE by hand, from the rows written
    from_csv = _value(cli, "mse", "--csv", _csv(tmp_path, pred, target))
    for name in ("t.parquet", "t.feather"):
        value = _value(cli, "mse", "--table", tmp_path / name)
        assert _rel(value, from_csv) <= 1e-12 and _rel(value, expected) <= 1e-12


def test_a_folder_and_a_glob_are_one_dataset(cli, tmp_path, data, monkeypatch):
    table, pred, target, _, _ = data
    monkeypatch.setattr(stream, "IN_MEMORY_VALUES", 8)
    (tmp_path / "parts").mkdir()
    for i, start in enumerate((0, 123, 600)):  # uneven parts, named in row order
        stop = {0: 123, 1: 600, 2: N}[i]
        pq.write_table(table.slice(start, stop - start), tmp_path / "parts" / f"part-{i}.parquet")
    (tmp_path / "parts" / "README.md").write_text("not a table")  # ignored: not a table file
    expected = float(np.sum(np.abs(pred - target)))
    from_csv = _value(cli, "l1", "-r", "sum", "--csv", _csv(tmp_path, pred, target))
    for source in (tmp_path / "parts", f"{tmp_path}/parts/part-*.parquet"):
        value = _value(cli, "l1", "-r", "sum", "--table", source)
        assert _rel(value, from_csv) <= 1e-12 and _rel(value, expected) <= 1e-12


def test_columns_by_name_and_index_and_weights(cli, tmp_path, data):
    table, pred, _, labels, weight = data
    pq.write_table(table.append_column("label", pa.array(labels)), tmp_path / "t.parquet")
    p = 1 / (1 + np.exp(-pred))
    # BCE with per-sample weights: mean of w·(−y log p − (1 − y) log(1 − p))
    expected = float(np.mean(weight * -(labels * np.log(p) + (1 - labels) * np.log(1 - p))))
    value = _value(cli, "bce-logits", "--table", tmp_path / "t.parquet", "--pred-col", "2",
                   "--target-col", "label", "--weight-col", "w")
    assert _rel(value, expected) <= 1e-12


def test_unselected_columns_are_never_read(cli, tmp_path, data, monkeypatch):
    table, pred, target, _, _ = data
    pq.write_table(table, tmp_path / "t.parquet")
    asked = []
    real = arrowsource._numbers
    monkeypatch.setattr(arrowsource, "_numbers",
                        lambda batch, names, *rest: asked.append(batch.schema.names)
                        or real(batch, names, *rest))
    # the "note" column holds text: reading it would fail
    assert _rel(_value(cli, "mse", "--table", tmp_path / "t.parquet"),
                float(np.mean((pred - target) ** 2))) <= 1e-12
    assert asked and all(names == ["pred", "target"] for names in asked)


def test_streamed_csv_rows_from_parquet(cli, tmp_path, data, monkeypatch):
    table, pred, target, _, _ = data
    monkeypatch.setattr(stream, "IN_MEMORY_VALUES", 8)
    monkeypatch.setattr(arrowsource, "BATCH_ROWS", 100)
    pq.write_table(table, tmp_path / "t.parquet")
    code, out, err = cli("mse", "--table", tmp_path / "t.parquet", "-r", "none", "-f", "csv")
    rows = out.splitlines()
    assert code == 0 and rows[0] == "index,loss,grad" and len(rows) == N + 1
    index, loss, grad = rows[501].split(",")
    d = pred[500] - target[500]  # ℓ = d², ∂ℓ/∂x = 2d
    assert int(index) == 500 and float(loss) == d * d and float(grad) == 2 * d


def test_non_numeric_column_names_column_and_file(cli, tmp_path, data):
    table = data[0]
    pq.write_table(table, tmp_path / "t.parquet")
    code, _, err = cli("mse", "--table", tmp_path / "t.parquet", "--pred-col", "note")
    assert code == 3
    assert f'{tmp_path / "t.parquet"}, column "note": holds string, not numbers' in err


def test_missing_values_and_nan_are_invalid_data(cli, tmp_path):
    pq.write_table(pa.table({"pred": [1.0, None], "target": [1.0, 2.0]}), tmp_path / "n.parquet")
    pq.write_table(pa.table({"pred": [1.0, float("nan")], "target": [1.0, 2.0]}),
                   tmp_path / "nan.parquet")
    code, _, err = cli("mse", "--table", tmp_path / "n.parquet")
    assert code == 3 and 'row 1, column "pred": a missing value' in err
    code, _, err = cli("mse", "--table", tmp_path / "nan.parquet")
    assert code == 3 and 'row 1, column "pred": NaN is not allowed' in err


def test_missing_and_empty_folders_and_globs(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = cli("mse", "--table", tmp_path / "empty")
    assert code == 4 and "no .csv, .tsv, .parquet, .arrow or .feather files there" in err
    code, _, err = cli("mse", "--table", f"{tmp_path}/nothing-*.parquet")
    assert code == 4 and "files there" in err
    code, _, err = cli("mse", "--table", tmp_path / "absent.parquet")
    assert code == 4 and "no such file" in err
    code, _, err = cli("mse", "--table", tmp_path / "absent")
    assert code == 4 and "no such file" in err


def test_a_folder_of_csv_files(cli, tmp_path, data):
    _, pred, target, _, _ = data
    (tmp_path / "csvs").mkdir()
    for i, (a, b) in enumerate(((0, 400), (400, N))):
        (tmp_path / "csvs" / f"{i}.csv").write_text(
            "pred,target\n" + "".join(f"{float(p)!r},{float(t)!r}\n"
                                   for p, t in zip(pred[a:b], target[a:b])))
    assert _rel(_value(cli, "mse", "--table", tmp_path / "csvs"),
                float(np.mean((pred - target) ** 2))) <= 1e-12


def test_without_pyarrow_one_line_names_the_extra(cli, tmp_path, data, monkeypatch):
    pq.write_table(data[0], tmp_path / "t.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    code, out, err = cli("mse", "--table", tmp_path / "t.parquet")
    assert code == 4 and out == ""
    assert err.splitlines() == [
        "losscalc: error: reading Parquet, Arrow or a folder of files needs pyarrow, which is "
        "not installed", "hint: pip install 'losscalc[fast]'"]


def test_a_folder_of_csv_files_in_another_encoding(cli, tmp_path):
    # Excel's Chinese CSV files are GB18030: --encoding reads the folder as it reads one file.
    # mse = ((0.5 − 1)² + (0.25 − 0)² + (1 − 1)²)/3 = (0.25 + 0.0625 + 0)/3 = 0.3125/3
    (tmp_path / "a.csv").write_bytes("学生,pred,target\n张三,0.5,1\n李四,0.25,0\n"
                                     .encode("gb18030"))
    (tmp_path / "b.csv").write_bytes("学生,pred,target\n王五,1,1\n".encode("gb18030"))
    code, out, err = cli("mse", "--table", tmp_path)
    assert code == 4 and "add --encoding gb18030" in err
    code, out, err = cli("mse", "--table", tmp_path, "--encoding", "gb18030")
    assert code == 0, err
    assert float(out) == 0.3125 / 3
