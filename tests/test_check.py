"""`losscalc check FILE`: expected answers graded in a table. Values come from
tests/data/seed-examples.json (torch_float64, by id) or are derived by hand in a comment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load

SEEDS = {e["id"]: e for e in load("seed-examples.json")}
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "answers.csv"
HEADER = "id,loss,pred,target,expect,reduction,delta\n"


def rows(out: str) -> dict[str, list[str]]:
    """The table's rows by their first cell (the line number)."""
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line.strip() and line.split()[0].isdigit()}


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_example_file(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = cli("check", "-f", "table", "examples/answers.csv", "--no-color")
    assert code == 1
    assert err == "losscalc: expectation failed for 2 of 6 answers\n"
    assert out.startswith("check  4 of 6 right\n")
    got = rows(out)
    # line: id, loss, expected, value (6 digits), difference, verdict
    assert got["2"] == ["q1", "mse", "1.3333", "1.33333", "3.33333e−05", "✓"]  # 000-mse-mean
    assert got["3"] == ["q2", "l1", "0.6667", "0.666667", "−3.33333e−05", "✓"]  # 000-l1-mean
    assert got["4"][:4] == ["q3", "ce", "0.8966", "0.896559"]  # 002-ce: 0.8965588…
    assert got["4"][-1] == "✓"
    # 002-ce-targets-1-2: 1.2465588…; 1.2465588 − 0.8966 = 0.3499588
    assert got["5"] == ["q4", "ce", "0.8966", "1.24656", "0.349959", "✗"]
    assert got["6"] == ["q5", "huber", "0.375", "0.375", "0", "✓"]  # 002-smoothl1 (δ = β = 1)
    # 002-bce is the mean 0.9608011960823292 of 3; the sum is 3× that = 2.8824035…
    assert got["7"] == ["q6", "bce", "0.9608", "2.8824", "1.9216", "✗"]
    assert SEEDS["002-bce"]["torch_float64"] * 3 == pytest.approx(2.8824035882469876)


def test_jsonl_problems_are_graded_alike(cli, tmp_path):
    problems = [
        {"id": "a", "loss": "mse", "pred": [1, 2, 3], "target": [1, 2, 5], "expect": 1.3333},
        {"id": "b", "loss": "ce", "pred": [[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]],
         "target": [1, 2], "expect": 0.8966},
    ]
    path = write(tmp_path, "p.jsonl", "".join(json.dumps(p) + "\n" for p in problems))
    code, out, err = cli("check", "-f", "table", path, "--no-color")
    assert code == 1 and "1 of 2 right" in out
    got = rows(out)
    assert got["1"][-1] == "✓" and got["2"][-1] == "✗"


def test_all_right_is_exit_0(cli, tmp_path):
    path = write(tmp_path, "ok.csv", "loss,pred,target,reduction,expect\n"
                 # 000-l1-sum: |1−1| + |2−2| + |3−5| = 2
                 "l1,\"1,2,3\",\"1,2,5\",sum,2\n")
    code, out, err = cli("check", "-f", "table", path, "--no-color")
    assert (code, err) == (0, "")
    assert "1 of 1 right" in out
    assert rows(out)["2"] == ["l1", "2", "2", "0", "✓"]  # no id column when no id is given


def test_tolerance_option_and_column(cli, tmp_path):
    text = HEADER + 'q1,mse,"1,2,3","1,2,5",1.3333,,\n'  # off by 3.3e-5
    path = write(tmp_path, "t.csv", text)
    assert cli("check", "-f", "table", path)[0] == 0  # default 1e-3
    assert cli("check", "-f", "table", path, "--tol", "1e-6")[0] == 1
    with_tol = write(tmp_path, "t2.csv", "id,loss,pred,target,expect,tol\n"
                     'q1,mse,"1,2,3","1,2,5",1.3333,1e-6\n')
    assert cli("check", "-f", "table", with_tol)[0] == 1  # a row's own tol wins over the default
    assert cli("check", "-f", "table", with_tol, "--tol", "0.1")[0] == 1  # … and over --tol


def test_parameter_columns(cli, tmp_path):
    # bce-logits with weight [1, 2, 1] on row 0 of 001-bcewithlogits-classweight-5x3
    seed = SEEDS["001-bcewithlogits-classweight-5x3"]["torch_float64"][0]
    path = write(tmp_path, "w.csv", "loss,pred,target,weight,reduction,expect\n"
                 f'bce-logits,"12,3,2","1,0,0","1,2,1",none,"{json.dumps(seed)}"\n')
    code, out, err = cli("check", "-f", "table", path, "--no-color", "--tol", "1e-12")
    assert code == 0, out + err
    assert rows(out)["2"][2:4] == ["3", "values"]


def test_bool_parameter_column(cli, tmp_path):
    # kl with log_target true: exp(t)·(t − x) with t = ln 0.5, x = ln 0.5 → 0
    path = write(tmp_path, "kl.csv", "loss,pred,target,log-target,expect\n"
                 "kl,-0.6931471805599453,-0.6931471805599453,true,0\n")
    code, out, err = cli("check", "-f", "table", path, "--no-color")
    assert code == 0, out + err


def test_tsv(cli, tmp_path):
    path = write(tmp_path, "a.tsv", "loss\tpred\ttarget\texpect\nmse\t1,2,3\t1,2,5\t1.3333\n")
    assert cli("check", "-f", "table", path)[0] == 0


@pytest.mark.parametrize("row,code,message", [
    ('q,mse,"1,2,3","1,2,5",,,', 2, "no expected answer"),
    ('q,msx,"1,2,3","1,2,5",1,,', 2, "unknown loss 'msx'"),
    ('q,mse,"1,2,x","1,2,5",1,,', 3, 'column "pred": expected a number at index [2], got \'x\''),
    ('q,mse,"1,2,3","1,2",1,,', 3, "shape"),
    ('q,mse,"1,2,3","1,2,5",1,avg,', 2, "mse has no reduction 'avg'"),
    ('q,mse,"1,2,3","1,2,5",1,,2', 2, "mse has no parameter 'delta'"),
    ('q,huber,"1,2,3","1,2,5",1,,big', 2, 'column "delta" must be a number, got \'big\''),
    ('q,mse,"1,2,3","1,2,5",abc,,', 2, "\"expect\": expected a number"),  # the field's name
    ('q,mse,"1,2,3"', 3, "the row has 3 cells but the header 7"),
])
def test_a_bad_row_is_listed_and_sets_the_exit_code(cli, tmp_path, row, code, message):
    path = write(tmp_path, "bad.csv", HEADER + row + "\n" + 'ok,l1,1,1,0,,\n')
    got, out, err = cli("check", "-f", "table", path, "--no-color")
    assert got == code
    assert rows(out)["2"][-2:] == ["error", "✗"] and rows(out)["3"][-1] == "✓"
    assert "line 2: " in out and message in out.replace("\n", " ")
    assert err.startswith("losscalc: error: 1 of 2 answers could not be computed")


def test_the_worst_exit_code_wins(cli, tmp_path):
    path = write(tmp_path, "w.csv", HEADER + 'a,mse,1,1,5,,\n'  # wrong: 1
                 'b,msx,1,1,0,,\n'  # unknown loss: 2
                 'c,mse,"1,2",1,0,bogus,\n')  # bad reduction: 2
    assert cli("check", "-f", "table", path)[0] == 2
    path = write(tmp_path, "w3.csv", HEADER + 'a,msx,1,1,5,,\nb,mse,"1,2","1,2,3",0,,\n')
    assert cli("check", "-f", "table", path)[0] == 3


def test_jsonl_bad_line(cli, tmp_path):
    path = write(tmp_path, "b.jsonl", '{"loss": "l1", "pred": 1, "target": 1, "expect": 0}\n'
                 "not json\n")
    code, out, _ = cli("check", "-f", "table", path, "--no-color")
    assert code == 3 and "line 2: not valid JSON" in out


@pytest.mark.parametrize("text,message", [
    ("loss,pred,target,expect,student\n", "unknown column 'student'"),
    ("loss,pred,target\n", "the table has no column 'expect'"),
])
def test_file_level_usage_errors(cli, tmp_path, text, message):
    code, out, err = cli("check", "-f", "table", write(tmp_path, "u.csv", text))
    assert (code, out) == (2, "")
    assert err.startswith(f"losscalc: error: {message}") and err.count("\n") == 1


def test_file_errors(cli, tmp_path):
    code, out, err = cli("check", "-f", "table", str(tmp_path / "none.csv"))
    assert (code, out) == (4, "") and "no such file" in err
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\x00\xfe\x01")  # not UTF-8 (FF FE first would be UTF-16's mark)
    code, out, err = cli("check", "-f", "table", str(binary))
    assert (code, out) == (4, "") and "not a text file (not UTF-8)" in err  # a NUL: no text
    latin = tmp_path / "l.csv"
    latin.write_bytes("id,loss,pred,target,expect\né,mse,1,1,0\n".encode("cp1252"))
    code, out, err = cli("check", "-f", "table", str(latin))  # a row's cell: that row's error
    assert code == 3 and "is not UTF-8 text (byte 0xE9 at position 0)" in out
    latin.write_bytes("id,loss,pred,target,expect é\n1,mse,1,1,0\n".encode("cp1252"))
    code, out, err = cli("check", "-f", "table", str(latin))  # the header: the whole file's
    assert (code, out) == (4, "") and "is not UTF-8 (line 1, byte 0xE9)" in err
    code, _, err = cli("check")
    assert code == 2 and "missing argument" in err.lower()


def test_empty_file(cli, tmp_path):
    code, out, _ = cli("check", "-f", "table", write(tmp_path, "e.csv", ""), "--no-color")
    assert code == 0 and "0 of 0 right" in out


def test_help_names_the_columns(cli):
    code, out, _ = cli("check", "-f", "table", "--help")
    assert code == 0
    assert "loss, pred, target, expect" in out and "id, tol, reduction, dtype" in out


def test_a_file_with_cr_line_ends_is_rows(cli, tmp_path):
    # mse([1, 2], [1, 3]) = (0² + 1²)/2 = 0.5; l1 of the same = (0 + 1)/2 = 0.5
    path = tmp_path / "mac.csv"
    path.write_bytes(b'id,loss,pred,target,expect\rq1,mse,"1,2","1,3",0.5\rq2,l1,"1,2","1,3",0.5\r')
    code, out, err = cli("check", path, "--format", "plain")
    assert (code, err) == (0, "")
    assert [line.split("\t")[:2] for line in out.splitlines()] == [["2", "right"], ["3", "right"]]


def test_a_file_name_with_a_zero_byte_is_that_rows_error(cli, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b'id,loss,pred,target,expect\nq1,mse,@a\x00b,1,1\nq2,mse,1,1,0\n')
    code, out, err = cli("check", path, "--format", "plain")
    assert code == 4 and "internal error" not in out + err
    first, second = out.splitlines()
    assert "cannot read 'a\\x00b': no such file" in first and second.split("\t")[1] == "right"


# --- files in another encoding (Excel's Chinese CSV is GBK) --------------------------------

GBK_ANSWERS = "id,loss,pred,target,expect\n第一题,mse,\"1,2\",\"1,3\",0.5\n"  # (0 + 1)/2


@pytest.mark.parametrize("encoding", ["gb18030", "GBK"])
def test_encoding_reads_an_excel_chinese_file(cli, tmp_path, encoding):
    path = tmp_path / "answers.csv"
    path.write_bytes(GBK_ANSWERS.encode("gb18030"))
    code, out, err = cli("check", str(path), "--encoding", encoding, "--json")
    assert code == 0, err
    answer, = json.loads(out)["answers"]
    assert (answer["id"], answer["value"], answer["ok"]) == ("第一题", 0.5, True)


def test_a_header_that_is_not_utf8_names_the_encoding_to_add(cli, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_bytes(GBK_ANSWERS.replace("id", "题号").encode("gb18030"))  # a Chinese header
    code, out, err = cli("check", str(path))
    assert code == 4 and out == ""
    assert "is not UTF-8 (line 1, byte 0xCC)" in err and "--encoding gb18030" in err


def test_a_cell_that_is_not_utf8_is_its_rows_error_with_the_encoding(cli, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_bytes(GBK_ANSWERS.encode("gb18030"))
    code, out, err = cli("check", str(path), "--json")
    answer, = json.loads(out)["answers"]
    assert code == 3 and 'column "id" is not UTF-8 text' in answer["error"]
    assert answer["hint"] == "save the file as UTF-8, or add --encoding gb18030"
    assert cli("check", str(path), "--encoding", "gb18030")[0] == 0


def test_a_wrong_or_unknown_encoding(cli, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_bytes(GBK_ANSWERS.encode("gb18030"))
    code, out, err = cli("check", str(path), "--encoding", "ascii")
    assert code == 4 and "answers.csv does not decode as ascii" in err
    code, out, err = cli("check", str(path), "--encoding", "gbk2")
    assert code == 2 and "--encoding: unknown encoding 'gbk2'" in err


def test_a_csv_grades_losses_of_several_tensors(cli, tmp_path):
    """Their tensors are columns by their JSON names, as batch reads them.
    gaussian-nll of x = (1, 2, 3), y = (1.5, 2, 2), var = (0.5, 1, 2): ½(ln var + (x − y)²/var)
    is ½(ln ½ + ½), 0, ½(ln 2 + ½); the ln terms cancel, so the mean is (¼ + ¼)/3 = 1/6.
    margin-ranking of x1 = (1, 2), x2 = (2, 1), y = (1, 1): max(0, −y(x1 − x2)) = (1, 0), mean ½."""
    path = write(tmp_path, "several.csv",
                 "id,loss,pred,x1,x2,target,var,expect\n"
                 'g,gaussian-nll,"1,2,3",,,"1.5,2,2","0.5,1,2",0.16666666666666666\n'
                 'm,margin-ranking,,"1,2","2,1","1,1",,0.5\n')
    code, out, err = cli("check", path, "--tol", "1e-15", "-f", "json")
    assert code == 0, (out, err)
    answers = json.loads(out)["answers"]
    assert [(a["id"], a["ok"]) for a in answers] == [("g", True), ("m", True)]
    assert answers[1]["value"] == 0.5
