"""Text files in any encoding (losscalc/textfiles.py): the lines batch reads, each decoded on
its own, and the files read whole (@FILE, check, merge) in the command's --encoding. Python's
own codecs are the reference: a file split and decoded here must give the lines that
``bytes.decode`` and ``str.split`` give."""

from __future__ import annotations

import io
import json
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscalc import textfiles
from losscalc.errors import InputOutputError, InvalidData, LosscalcError

# Each encoding as a file in it is written: the marks of UTF-16/32 first, as Excel and
# Notepad write them ("utf-16" writes one in this machine's order).
WRITTEN = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-16-be": "utf-16-be",
           "utf-32": "utf-32", "gb18030": "gb18030"}
GIVEN = {"utf-8": None, "utf-16": None, "utf-16-be": "utf-16-be", "utf-32": None,
         "gb18030": "gb18030"}  # what a user passes as --encoding (None: detected)


def _lines(data: bytes, encoding: str | None = None, name: str = "f") -> list:
    return list(textfiles.lines(io.BytesIO(data), name, encoding))


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.characters(codec="gb18030", exclude_characters="\r"), max_size=80),
       encoding=st.sampled_from(sorted(WRITTEN)), block=st.integers(1, 9))
def test_lines_are_the_lines_python_decodes(text, encoding, block):
    """Any text, in blocks of any size: the lines (ends kept) of Python's decoding of the
    whole, a byte order mark opening the first dropped."""
    data = text.encode(WRITTEN[encoding])
    expected = _at_line_feeds(text)
    if expected and encoding in ("utf-8", "gb18030"):  # a wide encoding's mark is written
        expected[0] = expected[0].removeprefix("\ufeff")  # by encode() before the text
    with _blocks_of(block):
        assert _lines(data, GIVEN[encoding]) == [line for line in expected if line]


@contextmanager
def _blocks_of(size: int):
    with pytest.MonkeyPatch.context() as monkeypatch:  # (usable in a hypothesis test)
        monkeypatch.setattr(textfiles, "BLOCK", size)
        yield


def _at_line_feeds(text: str) -> list[str]:
    """The lines of ``text`` with their ends, ended at \\n only (str.splitlines also ends
    them at \\v, \\f, \\x1c…\\x1e, \\x85, \\u2028 and \\u2029)."""
    pieces = text.split("\n")
    return [p + "\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_line_feeds_bytes_astride_two_utf16_characters_end_no_line(encoding):
    # U+0A41 then U+4E00 (一) is 41 0A 00 4E in little-endian, and 一 then U+0A41 is
    # 4E 00 0A 41 in big-endian: a line feed's bytes (0A 00, 00 0A) astride two characters.
    text = "\u0a41一\u0a41\nĊ\n"
    data = "\ufeff".encode(encoding) + text.encode(encoding)
    assert _lines(data) == ["\u0a41一\u0a41\n", "Ċ\n"]


def test_a_line_that_does_not_decode_is_that_lines_error_only():
    # Line 2 holds an unpaired surrogate (D800), which UTF-16 cannot decode.
    good = "\ufeff{1}\n".encode("utf-16-le")
    bad = b"\x00\xd8\n\x00"
    got = _lines(good + bad + "{3}\n".encode("utf-16-le"))
    assert got[0] == "{1}\n" and got[2] == "{3}\n"
    assert isinstance(got[1], InvalidData)
    assert got[1].message == "the line does not decode as utf-16-le (byte 0x00 at position 0)"


def test_a_mark_and_a_lone_line_feed_is_one_line_answered():
    """The case the fuzz test found: FF FE then 0A is a UTF-16 file of one odd byte — one
    line, which does not decode, answered with its error."""
    got = _lines(b"\xff\xfe\n")
    assert len(got) == 1 and isinstance(got[0], LosscalcError)


def test_a_utf8_line_that_is_not_utf8_names_the_encoding_it_looks_like():
    got = _lines('{"id": "第一题"}\n'.encode("gb18030") + b"{}\n")
    assert got[1] == "{}\n"
    assert got[0].message.startswith("the line is not UTF-8 text (byte 0xB5 at position 8)")
    assert got[0].hint == "save the file as UTF-8, or add --encoding gb18030"


def test_a_line_past_the_limit_stops_the_run(monkeypatch):
    monkeypatch.setattr(textfiles, "MAX_LINE_BYTES", 10)
    monkeypatch.setattr(textfiles, "BLOCK", 4)
    with pytest.raises(InvalidData, match="problems.jsonl line 2: longer than 10 bytes"):
        _lines(b"short\n" + b"x" * 30, name="problems.jsonl")


# --- files read whole ------------------------------------------------------------------------


def _whole(data: bytes, encoding: str | None = None, block: int = 1 << 16) -> str:
    with textfiles.files_in(encoding), _blocks_of(block):
        return textfiles.read_whole(io.BytesIO(data), "'f.txt'", 1000, lambda: None)


def test_a_file_read_whole_in_the_commands_encoding():
    data = "1，2，3  # 预测\n".encode("gb18030")
    assert _whole(data, "GBK") == "1，2，3  # 预测\n"
    with pytest.raises(InputOutputError) as caught:
        _whole(data)
    assert caught.value.message == ("'f.txt' is not UTF-8 (line 1, byte 0xA3); it looks like "
                                    "GB18030 (Excel's Chinese encoding): add --encoding gb18030")
    with pytest.raises(InputOutputError, match="does not decode as ascii"):
        _whole(data, "ascii")


def test_a_character_cut_by_the_first_block_is_not_an_error():
    # "预" is three bytes in UTF-8: a first block of four bytes ends inside the second one.
    assert _whole("预测\n".encode("utf-8"), block=4) == "预测\n"
    assert _whole("\ufeff1,2\n".encode("utf-16-le"), block=3) == "1,2\n"


def test_bytes_with_a_nul_are_no_text():
    with pytest.raises(InputOutputError, match=r"cannot read 'f.txt': not a text file"):
        _whole(b"\x00\x01\xff\xfe\x00")


def test_an_unknown_encoding_is_a_usage_error_at_once():
    from losscalc.errors import UsageError

    with pytest.raises(UsageError, match="--encoding: unknown encoding 'nope'"):
        with textfiles.files_in("nope"):
            pass


# --- through the commands --------------------------------------------------------------------


def test_batch_reads_a_gbk_file_with_encoding(cli, tmp_path):
    path = tmp_path / "p.jsonl"
    # (1 − 3)² = 4
    path.write_bytes('{"loss": "mse", "pred": [1], "target": [3], "id": "第一题"}\n'
                     .encode("gb18030"))
    code, out, err = cli("batch", str(path), "--encoding", "gb18030")
    assert (code, json.loads(out)["id"], json.loads(out)["value"]) == (0, "第一题", 4.0), err
    code, out, _ = cli("batch", str(path))
    assert code == 3 and "add --encoding gb18030" in json.loads(out)["error"]


def test_batch_reads_excels_unicode_text_from_a_pipe():
    """UTF-16 with its mark on standard input: each line answered, a bad one on its own."""
    import subprocess
    import sys

    text = '{"loss": "mse", "pred": [2], "target": [0]}\n[\n{"loss": "l1", "pred": [2], ' \
           '"target": [0]}\n'
    proc = subprocess.run([sys.executable, "-m", "losscalc", "batch"], capture_output=True,
                          input=text.encode("utf-16"), timeout=60)
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    # mse: (2 − 0)² = 4; l1: |2 − 0| = 2
    assert [a.get("value") for a in answers] == [4.0, None, 2.0] and answers[1]["line"] == 2
    assert proc.returncode == 3


@pytest.mark.parametrize(("command", "text"), [
    (["mse", "-t", "1,2,2", "-p"], "1，2，3\n"),  # (0² + 0² + 1²)/3
    (["info", "entropy", "--p"], "0.5，0.5\n"),  # ln 2
    (["act", "sigmoid", "-x"], "0，0\n"),  # σ(0) = 0.5
])
def test_a_tensor_file_in_gbk(cli, tmp_path, command, text):
    path = tmp_path / "tensor.txt"
    path.write_bytes(text.encode("gb18030"))
    code, out, err = cli(*command, f"@{path}", "--encoding", "gb18030", "-f", "json")
    assert code == 0, err
    value = json.loads(out)["value"]
    assert value == pytest.approx({"mse": 1 / 3, "info": 0.6931471805599453,
                                   "act": [0.5, 0.5]}[command[0]], rel=1e-15)
    code, out, err = cli(*command, f"@{path}")
    assert code == 4 and "add --encoding gb18030" in err


def test_check_reads_jsonl_line_by_line_in_any_encoding(cli, tmp_path):
    path = tmp_path / "answers.jsonl"
    lines = ['{"loss": "mse", "pred": [1], "target": [3], "expect": 4, "id": "一"}',  # (1−3)²
             '{"loss": "mse", "pred": [1], "target": [1], "expect": 0, "id": "二"}']
    path.write_bytes("\n".join(lines).encode("utf-16"))
    code, out, err = cli("check", str(path), "-f", "json")
    assert code == 0, err
    assert [a["id"] for a in json.loads(out)["answers"]] == ["一", "二"]


def test_a_file_whose_mark_says_utf16_but_is_not_is_said_so():
    # FF FE announces UTF-16; D800 is an unpaired surrogate, which UTF-16 cannot decode: the
    # error names the encoding the mark announced, not UTF-8.
    with pytest.raises(InputOutputError, match=r"^'f.txt' does not decode as utf-16$"):
        _whole(b"\xff\xfe\x00\xd8\n\x00")
