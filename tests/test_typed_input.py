"""Tensor text as learners type and paste it (docs/contract.md §3, "As typed and pasted"):
full-width punctuation and digits from Chinese input methods, typeset minus signs (losscalc's
own output), and PyTorch / NumPy printouts. The expected arrays are the numbers written in the
input, so no arithmetic is needed; the printouts of the property tests come from NumPy itself.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from losscalc.errors import InvalidData
from losscalc.inputs import parse_literal, parse_tensor

INF = float("inf")


def same(text, expected):
    actual = parse_literal(text, "--pred")
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape and np.array_equal(actual, expected), actual


@pytest.mark.parametrize("text, expected", [
    # a Chinese input method in Chinese-punctuation mode
    ("1，2，3", [1, 2, 3]),
    ("1、2、3", [1, 2, 3]),
    ("1，2；3，4", [[1, 2], [3, 4]]),
    ("［［1，2］，［3，4］］", [[1, 2], [3, 4]]),
    ("（1，2）", [1, 2]),
    ("１，２．５", [1, 2.5]),  # full-width digits and full stop
    ("０。５，1。25", [0.5, 1.25]),  # 。 is the decimal point (the key that typed it)
    ("－1，＋2", [-1, 2]),
    ("1\u30002", [1, 2]),  # the ideographic space
    # typeset minus signs, as losscalc itself prints them, also in an exponent
    ("\u22121,6.1e\u221206", [-1, 6.1e-06]),
    ("\u2010\u0031,\u20112,\u20123,\u20134,\u20145,\u20156,\ufe637,\uff0d8",
     [-1, -2, -3, -4, -5, -6, -7, -8]),
    ("∞,\u2212∞", [INF, -INF]),
    ("[\u22120.5, 1e\u22123]", [-0.5, 0.001]),
    # printouts
    ("tensor([[0.5000, 0.3000]], requires_grad=True)", [[0.5, 0.3]]),
    ("tensor([1, 2])", [1, 2]),
    ("torch.tensor([1., 2.])", [1, 2]),
    ("tensor(0.9185)", 0.9185),
    ("tensor(0.9185, grad_fn=<NllLossBackward0>)", 0.9185),
    ("tensor([-1.0000e-04,  inf], dtype=torch.float64, device='cuda:0')", [-1e-4, INF]),
    ("tensor([[ 0.5000, -0.3000],\n        [ 0.1000,  0.2000]], grad_fn=<AddBackward0>)",
     [[0.5, -0.3], [0.1, 0.2]]),
    ("array([1., 2.], dtype=float32)", [1, 2]),
    ("np.array([[1, 2], [3, 4]])", [[1, 2], [3, 4]]),
    ("array([[1., 0.],\n       [0., 1.]])", [[1, 0], [0, 1]]),
    ("array(0.5)", 0.5),
    ("np.float64(0.25)", 0.25),
    ("[1. 0. 1.]", [1, 0, 1]),
    ("[[1. 0.]\n [0. 1.]]", [[1, 0], [0, 1]]),
    ("[ 1.e-04 -2.e+00]", [1e-4, -2]),
    ("[[1.],[0.],[1.]]", [[1], [0], [1]]),
    ("[1., 2.,]", [1, 2]),  # a trailing comma, as Python allows
    ("(1.5, 2)", [1.5, 2]),  # a tuple
    ("tensor（［1，2］）", [1, 2]),  # a printout retyped in full-width
])
def test_typed_and_pasted_forms(text, expected):
    same(text, expected)


@pytest.mark.parametrize("text, words", [
    ("1·5", ["'·'", "U+00B7", "MIDDLE DOT", "type '.' instead"]),
    ("1\u201a5", ["U+201A", "type ',' instead"]),
    ("1 ♥ 2", ["U+2665", "BLACK HEART SUIT", "0-9 . - + e"]),
    ("tensor([0.1, 0.2, ..., 0.9])", ["'...'", "left numbers out"]),
    ("[0.1, … 3 more]", ["'...'"]),
    ("tensor([1, 2]", ["printout", "do not close"]),
    ("[1,,2]", ["an empty entry"]),
    ("[1 2", ["does not close"]),
    ("[1] 2", ["after the closing bracket"]),
    ("[1. x]", ["index [1]", "'x'"]),
])
def test_unreadable_forms_say_why(text, words):
    with pytest.raises(InvalidData) as info:
        parse_literal(text, "--pred")
    message = info.value.message
    assert message.startswith("--pred: ") and all(w in message for w in words), message


@pytest.mark.parametrize("text", ["1,x", "[1,,2]", "1 ♥ 2", "tensor([1, 2]"])
def test_an_unreadable_form_lists_the_accepted_ones(text):
    with pytest.raises(InvalidData) as info:
        parse_literal(text, "--pred")
    for form in ("1,2,3", "[[1,2],[3,4]]", "tensor([...])", "array([...])", "@FILE"):
        assert form in info.value.hint


def test_files_and_stdin_read_printouts(tmp_path):
    printout = tmp_path / "p.txt"
    printout.write_text("tensor([[0.5000, 0.3000],\n        [0.1000, 0.2000]])\n")
    table = tmp_path / "t.csv"
    table.write_text("预测，目标\n1，2\n−3，4\n", encoding="utf-8")
    assert parse_tensor(f"@{printout}", "--pred").tolist() == [[0.5, 0.3], [0.1, 0.2]]
    assert parse_tensor(f"@{table}", "--pred").tolist() == [[1, 2], [-3, 4]]
    import io

    assert parse_tensor("-", "--pred", io.StringIO("[1. 0. 1.]\n")).tolist() == [1, 0, 1]
    assert parse_tensor("-", "--pred", io.StringIO("1，2；3，4")).tolist() == [[1, 2], [3, 4]]


# ---------------------------------------------------------------------------------------------
# Properties: what NumPy prints, what PyTorch prints, what an IME types, reads back


_ARRAYS = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=1,
                                                  max_side=4),
                     elements=st.floats(allow_nan=False, width=64))


@given(_ARRAYS, st.sampled_from([repr, str]))
def test_numpy_printouts_read_back(array, form):
    with np.printoptions(floatmode="unique", threshold=sys.maxsize):
        text = form(array)
    same(text, array)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4),
                  elements=st.integers(-99, 99).map(float)),
       st.sampled_from([repr, str]))
def test_numpy_default_printouts_of_whole_numbers_read_back(array, form):
    same(form(array), array)  # 1. 0. -3. with NumPy's default options


def _torch_style(array: np.ndarray, suffix: str) -> str:
    """A tensor as PyTorch prints one (4 decimals, rows aligned under `tensor([`)."""
    def rows(a, indent):
        if a.ndim == 1:
            return "[" + ", ".join(f"{v:.4f}" for v in a) + "]"
        return "[" + (",\n" + " " * indent).join(rows(r, indent + 1) for r in a) + "]"
    return f"tensor({rows(array, 8)}{suffix})"


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
                  elements=st.integers(-99999, 99999).map(lambda n: n / 1000)),
       st.sampled_from(["", ", requires_grad=True", ", dtype=torch.float64",
                        ", grad_fn=<MulBackward0>", ", device='cuda:0', requires_grad=True"]))
def test_torch_style_printouts_read_back(array, suffix):
    same(_torch_style(array, suffix), array)


_FULL_WIDTH = str.maketrans({**{str(d): chr(0xFF10 + d) for d in range(10)},
                             ",": "，", ";": "；", "-": "\u2212", ".": "。"})


@given(hnp.arrays(np.float64, st.one_of(st.tuples(st.integers(2, 6)),
                                        st.tuples(st.integers(2, 4), st.integers(2, 4))),
                  elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_full_width_text_reads_back(array):
    text = "; ".join(",".join(repr(float(v)) for v in row) for row in np.atleast_2d(array))
    same(text.translate(_FULL_WIDTH), array)


# ---------------------------------------------------------------------------------------------
# losscalc's own output reads back


def test_the_table_format_reads_back(cli):
    # mse, reduction none: loss (x − y)², gradient 2(x − y); for x − y = −0.001 the loss is
    # about 1e−06, printed with a typeset minus in its exponent, the gradient −0.002.
    code, out, _ = cli("mse", "-p", "0.999,2,4", "-t", "1,2,1", "-r", "none",
                       "--format", "table")
    assert code == 0
    rows = [line.split() for line in out.splitlines() if re.match(r"\s*\d+\s", line)]
    losses, grads = ",".join(r[3] for r in rows), ",".join(r[4] for r in rows)
    assert "\u2212" in losses + grads
    by_hand = [(0.999 - 1) ** 2, 0.0, 9.0]
    assert np.allclose(parse_literal(losses, "--pred"), by_hand, rtol=1e-5)
    assert np.allclose(parse_literal(grads, "--pred"), [2 * (0.999 - 1), 0, 6], rtol=1e-5)


def test_the_explanation_reads_back(cli):
    code, out, _ = cli("mse", "-p", "0.5,-2", "-t", "1,2", "--explain", "--format", "plain")
    shown = [line.rsplit("= ", 1)[1] for line in out.splitlines() if "∂loss/∂x[" in line]
    # ∂loss/∂x = 2(x − y)/n = [2(0.5 − 1)/2, 2(−2 − 2)/2] = [−0.5, −4]
    assert parse_literal(",".join(shown), "--pred").tolist() == [-0.5, -4.0], shown


def test_a_command_takes_typed_and_pasted_tensors(cli):
    # mse of (1,2,3) and (1,2,5): (0 + 0 + 4)/3
    for pred, target in [("1，2，3", "1、2、5"), ("tensor([1., 2., 3.])", "array([1, 2, 5])"),
                         ("[1. 2. 3.]", "[[1.],[2.],[5.]]".replace("],[", ", ").replace(
                             "[[", "[").replace("]]", "]"))]:
        code, out, err = cli("mse", "-p", pred, "-t", target)
        assert (code, float(out)) == (0, 4 / 3), err


# ---------------------------------------------------------------------------------------------
# Hints that name the fix (the option parser's errors on a loss command)


@pytest.mark.parametrize("args, words", [
    (["bce", "--logits", "0.2", "-t", "1"],
     ["bce takes -p/--probs and -t/--target", "bce-logits --logits"]),
    (["ce", "--probs", "0.5,0.5", "-t", "0"], ["ce takes -p/--logits", "nll"]),
    (["mse", "1,2,3", "1,2,5"], ["use -p/--pred and -t/--target", "losscalc mse -p"]),
    (["margin-ranking", "--logits", "1"], ["--x1, --x2 and -t/--target", "ce"]),
])
def test_usage_hints_name_the_fix(cli, args, words):
    code, out, err = cli(*args)
    hint = err.splitlines()[-1]
    assert code == 2 and hint.startswith("hint: ") and all(w in hint for w in words), err


def test_input_is_a_hidden_alias_of_the_prediction(cli):
    # mse of (1,2,3) and (1,2,5): 4/3
    assert cli("mse", "--input", "1,2,3", "-t", "1,2,5")[:2] == (0, f"{4 / 3!r}\n")
    assert "--input" not in cli("mse", "--help")[1]
    code, _, err = cli("mse", "--input", "1", "-p", "1", "-t", "1")
    assert code == 2 and "give it once" in err


def test_help_groups_the_commands_and_cuts_no_line(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = cli("--help")
    assert code == 0
    heads = [line for line in out.splitlines() if line.endswith(":") and not line[0].isspace()]
    assert heads[-4:] == ["Losses of the tutorials:", "The rest of PyTorch's losses:",
                          "Keras, optax, torchvision and coursework losses:", "Tools:"]
    commands = out[out.index("Losses of the tutorials:"):]
    assert "..." not in commands and "…" not in commands
    assert max(len(line) for line in out.splitlines()) <= 80
    for name in ("mse", "ctc", "poly1", "check"):
        assert f"\n  {name} " in out


def test_list_on_a_terminal_keeps_formulas_whole(monkeypatch):
    import io

    from losscalc.render import table

    real = table._console

    def terminal(file, no_color):  # a console that believes it writes to a terminal
        console = real(file, True)
        console._force_terminal = True
        return console

    monkeypatch.setattr(table, "_console", terminal)
    buffer = io.StringIO()
    table.print_rows("losses", ["formula"], [["ℓ = −w·[y·ln p + (1 − y)·ln(1 − p)]"]],
                     file=buffer)
    assert "[y·ln p + (1 − y)·ln(1 − p)]" in buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The tutorials' formulas: −ln q[y] of probabilities, cross-entropy of a q as given

Q = [0.1058, 0.1043, 0.0988, 0.1066, 0.0875, 0.0881, 0.1027, 0.1046, 0.1057, 0.0958]


def test_nll_takes_the_log_of_probabilities(cli):
    import json
    import math

    code, out, err = cli("nll", "--probs", ",".join(map(str, Q)), "-t", "4", "--json")
    answer = json.loads(out)
    assert code == 0
    assert answer["value"] == -math.log(0.0875)  # the tutorial's −ln q[4] = 2.4361
    # d(−ln q_4)/dq_4 = −1/q_4, 0 elsewhere
    assert answer["grad"]["pred"] == [0.0] * 4 + [-1 / 0.0875] + [0.0] * 5
    assert "sums to 0.9999, not 1" in err  # q as the tutorial rounded it


def test_nll_probs_explains_the_log_and_checks_its_gradient(cli):
    code, out, _ = cli("nll", "--probs", "0.2,0.3,0.5; 0.6,0.3,0.1", "-t", "2,0", "--explain",
                       "--format", "plain", "--check-grad")
    assert code == 0 and "ln q = ln(q)" in out
    # mean of −ln 0.5 and −ln 0.6
    import math

    assert float(out.splitlines()[-1]) == pytest.approx(-(math.log(0.5) + math.log(0.6)) / 2,
                                                        rel=1e-15)


def test_nll_probs_from_every_door(cli):
    import json
    import math

    line = json.dumps({"loss": "nll", "pred": [0.25, 0.75], "target": 1,
                       "params": {"from_probs": True}})
    code, out, _ = cli("batch", "-", stdin=line + "\n")
    assert code == 0 and json.loads(out)["value"] == -math.log(0.75)
    code, _, err = cli("nll", "--probs", "0.5,0.5", "--log-probs", "-1,-1", "-t", "0")
    assert code == 2 and "give either it or --log-probs" in err


def test_info_cross_entropy_takes_q_as_given(cli):
    import math

    p = ["0"] * 10
    p[4] = "1"
    code, out, err = cli("info", "cross-entropy", "--p", ",".join(p), "--q",
                         ",".join(map(str, Q)))
    assert code == 0 and float(out) == pytest.approx(-math.log(0.0875), rel=1e-15)
    assert "--q sums to 0.9999, not 1" in err


# ---------------------------------------------------------------------------------------------
# A first row of numbers with a typo is no header


@pytest.mark.parametrize("first, header", [("0.5,1o", False), ("0.5,0.3.1", False),
                                           ("pred,target", True), ("0,1,label", True)])
def test_a_mistyped_first_row_is_no_header(tmp_path, first, header):
    path = tmp_path / "t.csv"
    path.write_text(first + "\n" + ",".join(["0.5"] * len(first.split(","))) + "\n")
    if header:
        assert parse_tensor(f"@{path}", "--pred").tolist() == [0.5] * len(first.split(","))
    else:
        with pytest.raises(InvalidData, match="line 1, field 2: .* no header"):
            parse_tensor(f"@{path}", "--pred")


# --- one text, one tensor: an option, an @FILE and standard input read it alike -------------

SAME_TEXT = [
    ("0.1;0.2;0.3", [[0.1], [0.2], [0.3]]),  # rows split by ';', as an option writes them
    ("1\n2\n3\n", [1, 2, 3]),  # one value a line: a column, read as a vector
    ("1 2\n3 4\n", [[1, 2], [3, 4]]),
    ("1,2\r3,4\r", [[1, 2], [3, 4]]),  # old Mac Excel: a lone carriage return ends a line
    ("tensor([1., 2.],\n       dtype=torch.float64)\n", [1, 2]),
    ("\ufeff1,2,3\n", [1, 2, 3]),  # Notepad's byte order mark
]


@pytest.mark.parametrize("text, expected", SAME_TEXT)
def test_the_same_text_is_the_same_tensor_through_every_door(tmp_path, text, expected):
    import io

    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8", newline="")
    stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    got = {"option": parse_tensor(text.removeprefix("\ufeff"), "--pred"),
           "file": parse_tensor(f"@{path}", "--pred"),
           "stdin": parse_tensor("-", "--pred", stdin=stdin)}
    for door, actual in got.items():
        assert actual.shape == np.shape(expected) and np.array_equal(actual, expected), door


@pytest.mark.parametrize("text, fragment", [
    ("tensor([1., 2., 3.]) tensor([1., 2., 5.])", "'tensor([1., 2., 5.])' after the printout"),
    ("tensor([1., 2.]) * 2", "'* 2' after the printout"),
    ("tensor([0.1, 0.9]);", "';' after the printout"),
    ("tensor([0.1, 0.9])。", "'.' after the printout"),  # the full stop key, read as '.'
])
def test_nothing_may_follow_a_printout(text, fragment):
    """print(pred, target) prints two tensors on a line: reading the first and dropping the
    rest would compute with the wrong numbers."""
    with pytest.raises(InvalidData, match=re.escape(fragment)):
        parse_literal(text, "--pred")


@pytest.mark.parametrize("text, expected", [
    ("tensor([1., 2.], grad_fn=<MulBackward0>)", [1, 2]),
    ("tensor(2.5000, device='cuda:0')", 2.5),
    ("tensor([[0.5], [1.0]], device='cuda:0', requires_grad=True)", [[0.5], [1.0]]),
    ("array([1., 2.], dtype=float32)", [1, 2]),
])
def test_a_printouts_keyword_arguments_are_dropped(text, expected):
    same(text, expected)


@pytest.mark.parametrize("first", ["1/3,1/3,1/3", "50%,25%,25%", "1/2,25%,0.25"])
def test_a_first_row_of_numbers_that_do_not_read_is_no_header(tmp_path, first):
    """A tensor file's first row is a header only if it names a column: a row of fractions or
    percentages is refused, as the same text typed as an option is, not dropped."""
    path = tmp_path / "probs.txt"
    path.write_text(f"{first}\n0.5,0.25,0.25\n", encoding="utf-8")
    with pytest.raises(InvalidData, match=r"--probs \(.*probs.txt\) row 0: "):
        parse_tensor(f"@{path}", "--probs")
    path.write_text("p0,p1,p2\n0.5,0.25,0.25\n", encoding="utf-8")  # a header: skipped
    assert np.array_equal(parse_tensor(f"@{path}", "--probs"), [0.5, 0.25, 0.25])


def test_standard_input_in_another_encoding():
    """Bytes on standard input are decoded as a file's: GBK from a Chinese console is named,
    and read with --encoding (mse of (1, 2, 3) against (1, 2, 5): 4/3)."""
    import subprocess

    data = "1，2，3\n".encode("gb18030")
    run = [sys.executable, "-m", "losscalc", "mse", "-p", "-", "-t", "1,2,5"]
    proc = subprocess.run(run, input=data, capture_output=True, timeout=60)
    assert proc.returncode == 4 and b"add --encoding gb18030" in proc.stderr, proc.stderr
    proc = subprocess.run([*run, "--encoding", "gb18030"], input=data, capture_output=True,
                          timeout=60)
    assert (proc.returncode, proc.stdout) == (0, f"{4 / 3!r}\n".encode())


@pytest.mark.parametrize("text, expected", [
    ("[1 2; 3 4]", [[1, 2], [3, 4]]),  # MATLAB: rows split by ';'
    ("[1;2;3]", [[1], [2], [3]]),
    ("[[0.5 1.5]; [2 3]]", [[0.5, 1.5], [2, 3]]),
    (">>> tensor([1., 2.])", [1, 2]),  # a console's prompt pasted with the value
    ("Out[3]: array([1., 2.])", [1, 2]),
    ("Parameter containing:\ntensor([1., 2.], requires_grad=True)", [1, 2]),
    ("torch.Tensor([1, 2])", [1, 2]),
])
def test_more_forms_that_learners_paste(text, expected):
    same(text, expected)


@pytest.mark.parametrize("text, hint", [
    ("'1,2,3'", "the quotes are part of the value"),
    ("True,False", "1 for True, 0 for False"),
    ("50%,50%", "50% is 0.5"),
    ("1/3,2/3", "1/4 is 0.25"),
])
def test_a_value_that_is_no_number_gets_the_fix_it_looks_like(text, hint):
    with pytest.raises(InvalidData) as caught:
        parse_literal(text, "--pred")
    assert hint in caught.value.hint


@pytest.mark.parametrize("text, expected", [
    ("[1, 2, 3,]", [1, 2, 3]), ("[1., 2.]", [1, 2]), ("［1，2］", [1, 2]), ("[1, −2]", [1, -2]),
])
def test_a_json_file_written_as_python_prints_it(tmp_path, text, expected):
    path = tmp_path / "t.json"
    path.write_text(text, encoding="utf-8")
    actual = parse_tensor(f"@{path}", "--pred")
    assert np.array_equal(actual, expected) and actual.shape == np.shape(expected)


def test_a_json_file_that_reads_no_way_names_the_json_error(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(InvalidData, match=r"not valid JSON \(Expecting ',' delimiter"):
        parse_tensor(f"@{path}", "--pred")


def test_a_range_as_typed():
    from losscalc.inputs import parse_range

    assert parse_range("−3：3") == (-3.0, 3.0)  # U+2212 and a full-width colon


@pytest.mark.parametrize("text", ["1\u00a02\u00a03", "1\u20092\u20093", "1,\u200b2,3", "\u200b1,2,3",
                                  "1\u202f2\u202f3"])
def test_pasted_spaces_are_spaces_and_invisible_ones_nothing(text):
    """A web page's no-break and thin spaces separate numbers; zero-width ones vanish."""
    same(text, [1, 2, 3])


def test_an_argument_from_a_gbk_console_is_read_as_what_was_typed():
    """A GBK console on a UTF-8 system passes its bytes on: Python holds them as lone
    surrogates. 1，2 typed there (the full-width comma is A3 AC in GBK) is 1,2."""
    typed = "1，2".encode("gb18030").decode("utf-8", "surrogateescape")
    same(typed, [1, 2])
    with pytest.raises(InvalidData, match="byte 0xFF at character 1 is not text in UTF-8 or "
                                          "GB18030"):
        parse_literal(b"1\xff2".decode("utf-8", "surrogateescape"), "--pred")
