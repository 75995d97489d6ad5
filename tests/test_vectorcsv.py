"""The vectorised CSV parser (losscalc.vectorcsv) against independent readers: Python's
float (correctly rounded) for every value, np.loadtxt for whole chunks, and the chunks it
must refuse (then np.loadtxt and the exact reader decide)."""

from __future__ import annotations

import io
import json
import math
import struct
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscalc import vectorcsv

pytestmark = pytest.mark.skipif(not vectorcsv.AVAILABLE,
                                reason="needs x87 extended precision (x86-64)")


def bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def parse_one_column(texts: list[str]) -> np.ndarray:
    """The texts as a one-column table, padded with lines of plain numbers so the chunk is
    long enough and the texts are not at its ends (where fields go to float anyway)."""
    pad = ["1.5"] * 12
    block = "\n".join(pad + texts + pad).encode() + b"\n"
    values = vectorcsv.parse(block, ",", 1)
    assert values is not None, texts
    return values[len(pad):len(pad) + len(texts), 0]


def assert_same_bits(texts: list[str]) -> None:
    got = parse_one_column(texts)
    for text, value in zip(texts, got):
        assert bits(value) == bits(float(text)), (text, value, float(text))


# -- every form of a plain number, against float --------------------------------------------

digits = st.text("0123456789", min_size=1, max_size=22)
plain_numbers = st.builds(
    lambda sign, whole, dot, fraction, exp: sign + whole + dot + fraction + exp,
    st.sampled_from(["", "-", "+"]),
    digits,
    st.sampled_from(["", "."]),
    st.text("0123456789", max_size=22),
    st.one_of(st.just(""), st.builds(lambda e, s, d: e + s + d, st.sampled_from("eE"),
                                     st.sampled_from(["", "-", "+"]),
                                     st.text("0123456789", min_size=1, max_size=4))))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(plain_numbers, min_size=1, max_size=40))
def test_plain_numbers_have_the_bits_float_gives(texts):
    assert_same_bits(texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40),
       st.sampled_from(["{:.17g}", "{!r}", "{:.18e}", "{:.6f}", "{:.20g}", "{:.3g}"]))
def test_printed_floats_read_back_as_float_reads_them(values, form):
    assert_same_bits([form.format(v) for v in values])


def test_numbers_at_the_edges_of_the_fast_path():
    texts = [
        "0", "-0", "+0", "0.0", "-0.0", ".5", "5.", "-.5", "+5.", "007", "0.000",
        "18446744073709551615", "18446744073709551616", "9999999999999999999",  # 2**64 - 1, 2**64
        "1e27", "1e28", "1e-27", "1e-28", "123456789e-36", "1.5e+300", "2.5e-300",
        "4.9406564584124654e-324", "2.2250738585072011e-308", "1.7976931348623157e308",
        "1e400", "-1e400", "1e-400", "0e999999999", "1e0000000000000000000001",
        "0.000000000000000000000000000000001", "123456789012345678901234567890",
        "1.2345678901234567890123456789", "0." + "0" * 40 + "1",
    ]
    assert_same_bits(texts)


def halfway(x: float) -> Fraction:
    """The exact halfway point between x > 0 and the next float up."""
    return (Fraction(x) + Fraction(math.nextafter(x, math.inf))) / 2


def test_halfway_cases_round_to_even():
    # Integers between 2**53 and 2**64 that lie exactly halfway between two floats (one
    # rounding in extended precision is exact there, so these reach the halfway check) and
    # their neighbours one unit away.
    texts = []
    for k in range(53, 64):
        step = 2 ** (k - 52)  # the spacing of floats in [2**k, 2**(k+1))
        for start in (2 ** k, 2 ** k + 12345 * step, 2 ** (k + 1) - 3 * step):
            middle = start + step // 2
            texts += [str(middle - 1), str(middle), str(middle + 1)]
    assert_same_bits(texts)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-20, max_value=1e20), st.integers(0, 3))
def test_decimals_near_halfway_points(x, cut):
    # A halfway point written with 19 - cut significant digits: rounding the decimal moves
    # it just off the halfway point, to either side.
    middle = halfway(x)
    shift = 30 - math.floor(math.log10(middle))  # 30 digits or so before the point
    text = str(math.floor(middle * 10 ** shift))
    keep = 19 - cut
    exponent = len(text) - keep - shift
    assert_same_bits([f"{text[:keep]}e{exponent}", f"{int(text[:keep]) + 1}e{exponent}"])


# -- whole chunks, against np.loadtxt --------------------------------------------------------

def same_array(got: np.ndarray, expected: np.ndarray) -> None:
    """The same shape and the same bits (−0.0 is not 0.0, as == would have it)."""
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert (np.ascontiguousarray(got).view(np.uint64)
            == np.ascontiguousarray(expected).view(np.uint64)).all()


def loadtxt(block: bytes, delimiter, usecols=None):
    return np.loadtxt(io.BytesIO(block), delimiter=delimiter, ndmin=2, usecols=usecols)


@pytest.mark.parametrize("rows", [3, 100, 5000, 40000])
def test_chunks_read_as_loadtxt_reads_them(rows):
    rng = np.random.default_rng(rows)
    x = rng.normal(size=(rows, 3)) * 10.0 ** rng.integers(-30, 30, size=(rows, 3))
    block = "".join(f"{a!r},{b:.17g},{c:.6e}\n" for a, b, c in x.tolist()).encode()
    got = vectorcsv.parse(block, ",", 3)
    expected = loadtxt(block, ",")
    assert got.flags.f_contiguous
    same_array(got, expected)


def test_selected_columns_in_their_order_and_text_columns_skipped():
    block = "".join(f"s{i}-e.x,{i}.5,name {i},-{i}e-3\n" for i in range(200)).encode()
    got = vectorcsv.parse(block, ",", 4, [3, 1])
    same_array(got, loadtxt(block, ",", usecols=[3, 1]))


@pytest.mark.parametrize("delimiter", ["\t", ";", "|"])
def test_other_delimiters(delimiter):
    block = "".join(f"{i / 7!r}{delimiter}{-i}\n" for i in range(100)).encode()
    same_array(vectorcsv.parse(block, delimiter, 2), loadtxt(block, delimiter))


@pytest.mark.parametrize("columns", [1, 3])
def test_windows_line_ends(columns):
    rng = np.random.default_rng(columns)
    x = rng.normal(size=(500, columns))
    lines = [",".join(repr(v) for v in row) for row in x.tolist()]
    block = ("\r\n".join(lines) + "\r\n").encode()
    same_array(vectorcsv.parse(block, "," if columns > 1 else None, columns), x)
    mixed = ("\r\n".join(lines[:250]) + "\n" + "\n".join(lines[250:])).encode()
    same_array(vectorcsv.parse(mixed, "," if columns > 1 else None, columns), x)


def test_np_savetxt_files_split_at_single_spaces():
    x = np.random.default_rng(5).normal(size=(400, 3))
    out = io.BytesIO()
    np.savetxt(out, x)  # "%.18e", one space between fields
    block = out.getvalue()
    same_array(vectorcsv.parse(block, None, 3), loadtxt(block, None))
    for odd in (b"1  2 3\n", b" 1 2 3\n", b"1 2 3 \n", b"1\t2 3\n"):  # other whitespace runs
        assert vectorcsv.parse(block + odd, None, 3) is None


def test_one_column_without_a_delimiter_and_no_final_line_end():
    block = "\n".join(f"{i / 3!r}" for i in range(100)).encode()
    same_array(vectorcsv.parse(block, None, 1), loadtxt(block, None))


def test_a_view_of_a_range_reads_as_its_bytes():
    block = "".join(f"{i / 3!r},{i}\n" for i in range(300)).encode()
    cut = block.rfind(b"\n", 0, 5000) + 1
    view = memoryview(block + b"9.9,9")[:cut]  # as csvsource cuts a range at a line end
    same_array(vectorcsv.parse(view, ",", 2), loadtxt(block[:cut], ","))
    offset = memoryview(block)[len(block) - cut:]  # a view that does not start the object
    same_array(vectorcsv.parse(offset, ",", 2), loadtxt(bytes(offset), ","))


# -- what it must refuse ---------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    "1.2.3", "1e", "e5", "--1", "1-2", ".", "-", "+", "1e5e5", "1 ", " 1", "", "nan", "inf",
    "-inf", "0x10", "1_0", "1,5", "١", "１", "1e+", "1.e", "1..", "e", "1e5.5", "1d5", "1f",
    "٣.٥", "1e-5-", "0.5%",
])
def test_anything_else_is_refused_for_np_loadtxt_to_judge(bad):
    lines = ["0.25,1"] * 10 + [f"0.5,{bad}"] + ["0.75,0"] * 10
    block = "\n".join(lines).encode() + b"\n"
    assert vectorcsv.parse(block, ",", 2) is None


@pytest.mark.parametrize("block", [
    b'1,2\n"3",4\n' * 10, b"1,2\n# note\n3,4\n" * 10, b"1,2\r3,4\n" * 10,
    b"1,2\n\n3,4\n" * 10, b"1,2\n3\n" * 10, b"1,2\n3,4,5\n" * 10, b"1,2,\n" * 20,
    b"1,2\r\n\r\n3,4\r\n" * 10, b"1,2\r\n3,4\r" * 10, b"1,2\r\n3\r,4\n" * 10,
])
def test_quotes_comments_lone_cr_blank_and_ragged_lines_are_np_loadtxts(block):
    assert vectorcsv.parse(block, ",", 2) is None


def test_a_long_field_with_garbage_is_refused_even_past_32_bytes():
    block = b"1.5,2\n" * 20 + b"1.5," + b"1" * 40 + b"x\n" + b"1.5,2\n" * 20
    assert vectorcsv.parse(block, ",", 2) is None


@pytest.mark.parametrize("sparse", [vectorcsv.SPARSE, 10 ** 9])
def test_dense_exponents_by_mask_or_by_find(monkeypatch, sparse):
    # Every field has an e: a mask finds them; with SPARSE made huge, bytes.find does.
    monkeypatch.setattr(vectorcsv, "SPARSE", sparse)
    block = "".join(f"{i * 1.5e-7:.18e},{-i:.3E}\n" for i in range(3000)).encode()
    same_array(vectorcsv.parse(block, ",", 2), loadtxt(block, ","))


def test_the_bit_count_without_numpy_2():
    masks = np.array([0, 1, 0xFFFFFFFF, 0x80000001, 0x55555555, 0x7FFFFFFF, 12345678],
                     dtype=np.uint32)
    assert vectorcsv._counted_bits(masks).tolist() == [bin(int(m)).count("1") for m in masks]


def test_without_extended_precision_it_leaves_everything_to_loadtxt(monkeypatch):
    monkeypatch.setattr(vectorcsv, "AVAILABLE", False)
    assert vectorcsv.parse(b"1.5,2\n" * 100, ",", 2) is None


def test_the_cli_gives_the_same_bits_with_either_numpy_parser(cli, tmp_path, monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3000, 2))
    path = tmp_path / "t.csv"
    path.write_text("pred,target\n" + "".join(f"{a!r},{b:.17g}\n" for a, b in x.tolist()))
    from losscalc import csvsource

    monkeypatch.setattr(csvsource, "_ARROW", [None])
    parsed = []
    original = vectorcsv.parse

    def recorded(*args, **kwargs):
        parsed.append(original(*args, **kwargs))
        return parsed[-1]

    monkeypatch.setattr(vectorcsv, "parse", recorded)
    vectorised = cli("mse", "--table", str(path), "--json")
    assert any(array is not None for array in parsed)  # the vectorised parser read it
    monkeypatch.setattr(vectorcsv, "AVAILABLE", False)
    assert cli("mse", "--table", str(path), "--json") == vectorised
    assert vectorised[0] == 0
    # the correctly rounded mean of the squared differences of the numbers written
    expected = math.fsum(((x[:, 0] - x[:, 1]) ** 2).tolist()) / 3000
    assert json.loads(vectorised[1])["value"] == expected


odd_tokens = st.sampled_from(
    ["", " 1", "1 ", "nan", "inf", "1e", ".", "-", "1.2.3", "x", '"1"', "#", "1\r2", "0x1",
     "١", "1_0", "+-1", "1e+-2", "\t", "1,5", "1\r"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(plain_numbers, min_size=2, max_size=2), min_size=20, max_size=60),
       st.one_of(st.none(), st.tuples(st.integers(0, 10 ** 6), odd_tokens)),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_any_chunk_is_refused_or_read_as_np_loadtxt_reads_it(rows, odd, newline, final):
    # The property every chunk must have: None (np.loadtxt's turn), or loadtxt's bits.
    if odd is not None:  # one odd field somewhere
        at, token = odd
        rows[at % len(rows)][at % 2] = token
    block = (newline.join(",".join(row) for row in rows) + (newline if final else "")).encode()
    got = vectorcsv.parse(block, ",", 2)
    if got is None:
        assert odd is not None  # a chunk of plain numbers is never refused
        return
    expected = loadtxt(block, ",")
    assert got.shape == expected.shape
    assert (got.view(np.uint64) == expected.view(np.uint64)).all()
