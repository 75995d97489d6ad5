"""CSV files as spreadsheets export them: a name column beside the numbers, columns picked by
their header names, encodings other than UTF-8, old Mac line ends. Every test runs with
NumPy's parser and again with pyarrow's, and the table tests both in memory and streamed
(tiny chunks: worker processes reading byte ranges of a file, or chunks of a pipe)."""

from __future__ import annotations

import math

import pytest
from conftest import assert_close, load

from losscalc import csvsource
from losscalc import streaming as stream

SEEDS = {e["id"]: e for e in load("seed-examples.json")}
NAMES = ["张三", "李四", "王五", "Zhao Liu", "O'Brien, Jr."]


@pytest.fixture(autouse=True)
def parser(each_parser):
    """Every test runs with NumPy's parser, and again with pyarrow's when it is installed."""
    return each_parser


@pytest.fixture(params=["in-memory", "streamed"])
def path_kind(request, monkeypatch):
    """In memory as it is; streamed: chunks of 64 bytes, worker processes after 256 bytes."""
    if request.param == "streamed":
        monkeypatch.setattr(csvsource, "CHUNK_BYTES", 64)
        monkeypatch.setattr(csvsource, "PARALLEL_BYTES", 256)
        monkeypatch.setattr(stream, "IN_MEMORY_VALUES", 8)
    return request.param


def rows(n: int):
    """n rows (name, prediction, target) and their MSE, by the definition mean((p − t)²)."""
    data = [(NAMES[i % len(NAMES)], i / 8, (i % 5) / 4) for i in range(n)]
    return data, math.fsum((p - t) ** 2 for _, p, t in data) / n


def csv_text(data, header="student,pred,label", sep=",", end="\n") -> str:
    def field(value):
        text = str(value)
        return f'"{text}"' if sep in text else text

    return end.join([header.replace(",", sep)] + [sep.join(map(field, r)) for r in data]) + end


def write(tmp_path, text: str, encoding="utf-8", name="data.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


# --- columns that are not selected are never parsed -----------------------------------------

def test_a_name_column_is_not_parsed(cli, tmp_path, path_kind):
    data, expected = rows(60)
    path = write(tmp_path, csv_text(data))
    code, out, err = cli("mse", "--csv", path, "--pred-col", "pred", "--target-col", "label")
    assert code == 0, err
    assert_close(float(out), expected)
    assert ("streamed 60 rows" in err) == (path_kind == "streamed")


def test_a_name_column_is_not_parsed_from_a_pipe(cli, path_kind):
    data, expected = rows(60)
    code, out, err = cli("mse", "--pred-col", "1", "--target-col", "2", stdin=csv_text(data))
    assert code == 0, err
    assert_close(float(out), expected)


def test_a_name_column_beside_a_tensor_file_column(cli, tmp_path):
    data, expected = rows(7)
    path = write(tmp_path, csv_text(data))
    code, out, err = cli("mse", "-p", f"@{path}:pred", "-t", f"@{path}:label")
    assert code == 0, err
    assert_close(float(out), expected)


def test_a_bad_number_in_a_selected_column_names_file_line_and_column(cli, tmp_path, path_kind):
    data, _ = rows(60)
    data[40] = ("Ann", "0.3.1", 1)  # line 42: the header is line 1
    path = write(tmp_path, csv_text(data))
    code, _, err = cli("mse", "--csv", path, "--pred-col", "pred", "--target-col", "label")
    assert code == 3
    assert f'{path} line 42, column "pred": cannot read "0.3.1" as a number' in err


def test_a_row_with_a_field_too_many_is_still_an_error(cli, tmp_path, path_kind):
    data, _ = rows(60)
    text = csv_text(data).replace("\n", "\nBob,1,2,3\n", 30).replace("\nBob,1,2,3\n", "\n", 29)
    path = write(tmp_path, text)
    code, _, err = cli("mse", "--csv", path, "--pred-col", "pred", "--target-col", "label")
    assert code == 3 and "has 4 fields, expected 3" in err


def test_a_text_column_that_is_selected_is_an_error(cli, tmp_path):
    path = write(tmp_path, csv_text(rows(3)[0]))
    code, _, err = cli("mse", "--csv", path, "--pred-col", "student", "--target-col", "label")
    assert code == 3 and 'line 2, column "student": cannot read "张三" as a number' in err


# --- columns picked by their header names ----------------------------------------------------

@pytest.mark.parametrize("header, used", [
    ("student,pred,label", "pred (1), label (2)"),
    ("id,y_true,y_pred", "y_pred (2), y_true (1)"),
    ("Name,Pred,Y_TRUE", "Pred (1), Y_TRUE (2)"),
    ("student,prediction,target", "prediction (1), target (2)"),
    ("student,output,y", "output (1), y (2)"),
    ("student,score,class", "score (1), class (2)"),
])
def test_columns_by_header_name(cli, tmp_path, path_kind, header, used):
    data, expected = rows(60)
    if header.startswith("id,"):  # target before prediction; the id column is numbers
        data = [(i, t, p) for i, (_, p, t) in enumerate(data)]
    path = write(tmp_path, csv_text(data, header))
    code, out, err = cli("mse", "--csv", path)
    assert code == 0, err
    assert_close(float(out), expected)
    assert f"note: using columns {used}; --pred-col/--target-col choose others" in err
    code, out, err = cli("mse", "--csv", path, "--quiet")
    assert (code, err) == (0, "")


def test_logit_columns_make_the_class_axis_in_header_order(cli, tmp_path, path_kind):
    # 002-ce-targets-1-2: logits [[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]], targets [1, 2].
    text = ("student,label,Logit_0,logit_1,logit_2\n"
            "张三,1,0.5,0.3,0.2\n李四,2,0.3,0.6,0.1\n")
    code, out, err = cli("ce", "--csv", write(tmp_path, text))
    assert code == 0, err
    assert_close(float(out), SEEDS["002-ce-targets-1-2"]["torch_float64"])
    assert "using columns Logit_0 (2), logit_1 (3), logit_2 (4), label (1)" in err


def test_when_names_do_not_decide_the_last_number_column_is_the_target(cli, tmp_path):
    text = "who,a,b\nAnn,1,2\nBob,4,4\n"  # a is the prediction, b the target: (1 + 0)/2
    code, out, err = cli("mse", "--csv", write(tmp_path, text))
    assert code == 0 and float(out) == 0.5
    assert "note: using columns a (1), b (2): no column is named" in err


def test_headerless_and_plain_tables_say_nothing(cli, tmp_path):
    for text in ("1,1\n2,2\n3,5\n", "pred,target\n1,1\n2,2\n3,5\n"):  # (0 + 0 + 4)/3
        code, out, err = cli("mse", "--csv", write(tmp_path, text))
        assert (code, err) == (0, "") and float(out) == 4 / 3


def test_a_header_without_two_number_columns(cli, tmp_path):
    code, _, err = cli("mse", "--csv", write(tmp_path, "name,value\nAnn,1\n"))
    assert code == 2 and "no two columns of numbers" in err


# --- encodings -------------------------------------------------------------------------------

def test_a_gbk_file_names_its_encoding_and_the_option(cli, tmp_path):
    path = write(tmp_path, csv_text(rows(3)[0]), "gb18030")
    code, out, err = cli("mse", "--csv", path)
    # 张 in GB18030 is D5 C5: the first byte that is not UTF-8, on line 2.
    assert (code, out) == (4, "")
    assert err.splitlines()[0] == (f"losscalc: error: {path} is not UTF-8 (line 2, byte 0xD5); "
                                   "it looks like GB18030 (Excel's Chinese encoding): add "
                                   "--encoding gb18030")


def test_a_western_file_is_guessed_as_windows_1252(cli, tmp_path):
    path = write(tmp_path, "who,pred,label\ncafé,1,1\n", "cp1252")  # é, then a comma
    code, _, err = cli("mse", "--csv", path)
    assert code == 4 and "byte 0xE9); it looks like Windows-1252" in err


@pytest.mark.parametrize("encoding, option", [
    ("gb18030", ["--encoding", "gb18030"]),
    ("gbk", ["--encoding", "GBK"]),
    ("utf-16", []),  # a byte order mark: detected
    ("utf-32", []),
    ("utf-16-le", ["--encoding", "utf-16-le"]),
    ("utf-8-sig", ["--encoding", "utf-8"]),
])
def test_encodings_are_read(cli, tmp_path, path_kind, encoding, option):
    data, expected = rows(60)
    path = write(tmp_path, csv_text(data), encoding)
    code, out, err = cli("mse", "--csv", path, *option)
    assert code == 0, err
    assert_close(float(out), expected)
    assert ("streamed 60 rows" in err) == (path_kind == "streamed")


def test_a_wrong_or_unknown_encoding(cli, tmp_path):
    path = write(tmp_path, csv_text(rows(3)[0]), "gb18030")
    code, _, err = cli("mse", "--csv", path, "--encoding", "utf-16")
    assert code == 4 and "does not decode as utf-16" in err
    code, _, err = cli("mse", "--csv", path, "--encoding", "gbk2")
    assert code == 2 and "--encoding: unknown encoding 'gbk2'" in err


# --- old Mac line ends -----------------------------------------------------------------------

@pytest.mark.parametrize("sep", [",", " ", "\t"])
def test_cr_only_files_are_read_as_rows(cli, tmp_path, path_kind, sep):
    data, expected = rows(60)
    data = [(p, t) for _, p, t in data]
    path = write(tmp_path, csv_text(data, "pred,target", sep, "\r"), name="data.txt")
    code, out, err = cli("mse", "--csv", path)
    assert code == 0, err
    assert_close(float(out), expected)
    headerless = csv_text(data, "pred,target", sep, "\r").split("\r", 1)[1]
    code, out, err = cli("mse", "--csv", write(tmp_path, headerless, name="h.txt"))
    assert code == 0, err
    assert_close(float(out), expected)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_tensor_and_check_files_with_a_byte_order_mark(cli, tmp_path, encoding):
    data, expected = rows(7)
    path = write(tmp_path, csv_text(data), encoding)
    code, out, err = cli("mse", "-p", f"@{path}:pred", "-t", f"@{path}:label")
    assert code == 0, err
    assert_close(float(out), expected)
    # mse([1, 2], [1, 3]) = (0 + 1)/2 = 0.5: right.
    answers = write(tmp_path, 'id,loss,pred,target,expect\nq1,mse,"1,2","1,3",0.5\n', encoding,
                    "answers.csv")
    code, out, err = cli("check", answers, "-f", "plain")
    assert code == 0, err
    assert out.split("\t")[1] == "right"


def test_a_typo_in_the_first_data_row_is_named_not_a_text_column(cli, tmp_path):
    # "1o" is a typed 10: the column is still a number column, and the cell is named
    for header in ("p,t", "name,p,t"):
        cells = "zhang," if header.startswith("name") else ""
        path = write(tmp_path, f"{header}\n{cells}0.5,1o\n{cells}1,2\n")
        code, _, err = cli("mse", "--csv", path)
        assert code == 3 and 'line 2, column "t": cannot read "1o" as a number' in err, err
