"""Tensor values, whatever the door: text (an option, a CSV cell) or a JSON value (a batch
line). ``read_tensor`` is the one entry point; ``parse_range`` reads a sweep range `A:B`.

Text is a number (`1`), numbers separated by commas and/or whitespace (`1,2,3`), rows
separated by `;` (`1,2; 3,4`), JSON nested lists, `@PATH` (.npy, .npz:KEY, .json,
.csv/.tsv/.txt, .csv:COLUMN) or `-` for standard input. A JSON value is a number or nested
lists of numbers. Everything becomes a float64 array; the caller casts. Errors name where the
value came from (``where``: `--pred`, `pred`, `column "pred"`) and the 0-based index of the bad
entry, in the same words for text and JSON.
"""

from __future__ import annotations

import math
import os
import re
import sys

import numpy as np

from .checks import first_bad, fmt_index
from .errors import InputOutputError, InvalidData, UsageError, open_error
from .i18n import N_
from .limits import MAX_TEXT_BYTES, MAX_VALUES, STREAMING_HINT, read_at_most, size


def shown(value) -> str:
    """A value as an error message quotes it: text as typed, a JSON value as JSON spells it
    (true, null), so the same bad value reads the same from every door."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (bool, type(None), dict, list)):
        import json

        return repr(json.dumps(value))
    return repr(str(value))


def not_a_number(where: str, value, index=()) -> InvalidData:
    at = N_(f" at index {fmt_index(index)}") if index else ""  # its own text, translated
    return InvalidData(f"{where}: expected a number{at}, got {shown(value)}")


def ragged(where: str, row, count: int, first_row, first_count: int) -> InvalidData:
    """Rows of different lengths; a row is its index (`1`) or its path (`[0, 1]`)."""
    def name(r):
        return fmt_index(r) if len(r) > 1 else str(r[0])

    return InvalidData(f"{where}: row {name(row)} has {count} numbers but row "
                       f"{name(first_row)} has {first_count}; every row needs the same count")


def _number(token: str, option: str, index) -> float:
    try:
        return float(token)
    except ValueError:
        err = not_a_number(option, token, index)
        err.hint = _number_hint(token)
        raise err from None


def _number_hint(token: str) -> str:
    """The likely fix of a value that is no number, by what it looks like."""
    if token[:1] in "'\"" or token[-1:] in "'\"":
        return N_("the quotes are part of the value (Windows cmd passes single quotes on): use "
                  "double quotes, or none")
    if token.lower() in ("true", "false"):
        return N_("write booleans as numbers: 1 for True, 0 for False")
    if re.fullmatch(r"[-+]?[\d.]+%", token):
        return N_("write a percentage as a fraction of 1: 50% is 0.5")
    if re.fullmatch(r"[-+]?[\d.]+/[\d.]+", token):
        return N_("write a fraction as a decimal number: 1/4 is 0.25")
    return ACCEPTED_FORMS


def _rows(text: str) -> list[str]:
    return [row.strip() for row in re.split(r"[;\n]", text) if row.strip()]


def _split_row(row: str) -> list[str]:
    fields = [f.strip() for f in row.split(",")]
    if fields and fields[-1] == "":  # a trailing comma, as in "1,"
        fields.pop()
    out = []
    for i, f in enumerate(fields):
        if f == "":
            raise ValueError(f"an empty entry at position {i}")
        out.extend(f.split())
    return out


def parse_literal(text: str, option: str) -> np.ndarray:
    """`1` → (), `1,2,3` → (3,), `1,2; 3,4` → (2, 2), JSON lists → their shape; also as
    typed on a Chinese input method and as pasted from a PyTorch or NumPy printout
    (``as_typed``)."""
    text = as_typed(text, option).strip()
    if not text:
        raise InvalidData(f"{option}: got an empty value; give numbers such as 1,2,3")
    if text[0] in "[(":
        return _from_brackets(text, option)
    rows = _rows(text)
    grid = []
    for r, row in enumerate(rows):
        try:
            fields = _split_row(row)
        except ValueError as err:
            raise InvalidData(f"{option}: {err} of row {r}") from None
        one = not re.search(r"[;\n]", text)
        scalar = one and not re.search(r"[,\s]", text)
        grid.append([_number(f, option, () if scalar else (c,) if one else (r, c))
                     for c, f in enumerate(fields)])
    widths = {len(row) for row in grid}
    if len(widths) > 1:
        first = len(grid[0])
        bad = next(i for i, row in enumerate(grid) if len(row) != first)
        raise ragged(option, (bad,), len(grid[bad]), (0,), first)
    if not re.search(r"[;\n]", text):  # one row: a vector, or a scalar when no separator
        grid = grid[0] if re.search(r"[,\s]", text) else grid[0][0]
    return finite_or_inf(np.array(grid, dtype=float), option)


# ---------------------------------------------------------------------------------------------
# Text as learners type and paste it: one translation, applied wherever a tensor is read as
# text (an option, an @file, standard input, a check cell, --expect). docs/contract.md §3.

ACCEPTED_FORMS = N_("a tensor is written as 1,2,3 | 1 2 3 | 1,2; 3,4 | [[1,2],[3,4]] | "
                    "[1. 0. 1.] | a pasted tensor([...]) or array([...]) printout | @FILE | -")

# Characters that stand where ASCII belongs. A Chinese input method in Chinese-punctuation mode
# types the full-width forms (U+FF01–FF5E: ASCII shifted by 0xFEE0, so ，；（）［］０-９．－＋ｅ),
# 、 for the comma key and 。 for the full-stop key: 。 is therefore read as the decimal
# point, wherever it stands (1。5 is 1.5), as the key the learner pressed. Typeset minus signs
# (U+2212, which losscalc itself prints, and the dashes U+2010–2015, U+FE63) are '-', also in
# an exponent (6.1e−06); ∞ (also losscalc's own) is inf.
_TYPED = {0xFF01 + i: 0x21 + i for i in range(94)}
_TYPED.update({ord(c): ascii_form for c, ascii_form in {
    "\u3000": " ", "、": ",", "。": ".", "\uff61": ".", "\ufe50": ",", "\ufe52": ".",
    "\ufe54": ";", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\ufe63": "-", "∞": "inf",
}.items()})
# Spaces a web page or a word processor pastes (no-break, thin, narrow, …) are spaces; the
# invisible ones (zero-width, a byte order mark inside the text) are nothing.
_TYPED.update({code: " " for code in (0x00A0, 0x2007, 0x2008, 0x2009, 0x200A, 0x202F, 0x205F)})
_TYPED.update({code: None for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)})
# Look-alikes not translated, because they mean something else as often as a number's part:
# an error names them and the ASCII character that was probably meant.
_LOOKS_LIKE = {"·": ".", "\u2027": ".", "\u2219": ".", "\u201a": ",", "\u066b": ".",
               "\u066c": ",", "\u02d7": "-", "\u2796": "-", "\u207b": "-", "\u00d7": "e",
               "\u2019": ",", "\u2018": ",", "\u201c": '"', "\u201d": '"'}

# A printout pasted whole: tensor(…), torch.tensor(…), array(…), np.float64(…); the keyword
# arguments after the values (requires_grad=True, dtype=…, device='cuda:0', grad_fn=<…>)
# are dropped.
_PRINTOUT = re.compile(r"(?:torch\.)?(?:tensor|(?:Float|Double|Long)?Tensor)\(|"
                       r"(?:np\.|numpy\.)?(?:array|float\d*|int\d*)\(")
# What a console prints before a value, pasted with it: Python's and IPython's prompts, and
# the line above an nn.Parameter.
_PROMPT = re.compile(r"\s*(?:>>>|In \[\d*\]:|Out\[\d*\]:|Parameter containing:)\s*")


def as_typed(text: str, option: str) -> str:
    """``text`` in ASCII, a pasted printout's values only; a character that cannot be part
    of a number is an error naming it (with its code point) and what to type instead."""
    text = _unprompted(text)
    if "..." in text or "…" in text:
        raise InvalidData(f"{option}: the value holds '...', where a printout left numbers "
                          "out", "print the whole tensor: torch.set_printoptions(profile="
                          "'full') or numpy.set_printoptions(threshold=sys.maxsize)")
    if not text.isascii():
        text = _from_console(text)
        ascii_text = as_ascii(text)
        if not ascii_text.isascii():
            raise _foreign(text, option)
        text = ascii_text
    stripped = text.strip()
    printout = _PRINTOUT.match(stripped)
    return _printout_values(stripped, printout.end(), option) if printout else text


def _from_console(text: str) -> str:
    """An argument typed in a GBK console on a UTF-8 system reaches Python as bytes that are
    not UTF-8 (lone surrogates): they are the GB18030 characters the learner typed (，, ０-９),
    read as such; bytes that are not GB18030 either stay, for the error to name."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("gb18030")
    except UnicodeError:
        return text


def _unprompted(text: str) -> str:
    """``text`` without the console prompts pasted before it (>>>, Out[3]:, …)."""
    while prompt := _PROMPT.match(text):
        text = text[prompt.end():]
    return text


def as_ascii(text: str) -> str:
    """Text as typed, its characters that stand for ASCII ones as those: one number (a
    parameter's value, --range) or a table, whose header may hold any other characters,
    so nothing is refused here."""
    return text if text.isascii() else text.translate(_TYPED)


def _foreign(text: str, option: str) -> InvalidData:
    import unicodedata

    at, char = next((i, c) for i, c in enumerate(text) if not c.translate(_TYPED).isascii())
    if "\udc80" <= char <= "\udcff":  # a byte the console sent that decodes no way
        return InvalidData(f"{option}: byte 0x{ord(char) - 0xDC00:02X} at character {at} is "
                           "not text in UTF-8 or GB18030",
                           N_("the console's encoding differs from the system's: type the "
                              "numbers in ASCII, or set the console to UTF-8"))
    name = unicodedata.name(char, "a character without a name")
    use = (f"type {_LOOKS_LIKE[char]!r} instead" if char in _LOOKS_LIKE else
           "numbers are written with the ASCII characters 0-9 . - + e, separated by , ; or "
           "spaces")
    return InvalidData(f"{option}: {char!r} (U+{ord(char):04X} {name}) at character {at} "
                       f"cannot be read in a number; {use}", ACCEPTED_FORMS)


def _printout_values(text: str, start: int, option: str) -> str:
    """The values of `tensor(VALUES, key=value, …)`: nested brackets, or one number."""
    if text[start:start + 1] == "[":
        depth, end = 0, None
        for i in range(start, len(text)):
            depth += {"[": 1, "]": -1}.get(text[i], 0)
            if depth == 0:
                end = i + 1
                break
    else:
        end = next((i for i in range(start, len(text)) if text[i] in ",)"), None)
    close = _closing(text, end) if end is not None else None
    if close is None or text[end:].strip()[:1] not in (",", ")"):
        raise InvalidData(f"{option}: cannot read the printout {text[:start]}…): its "
                          "brackets do not close", ACCEPTED_FORMS)
    after = text[close + 1:].strip()
    if after:
        raise InvalidData(f"{option}: {after[:20]!r} after the printout {text[:start]}…) — "
                          "one tensor per option",
                          N_("paste one printout per tensor: print(pred) and print(target) "
                             "apart"))
    return text[start:end]


def _closing(text: str, start: int) -> int | None:
    """Where the parenthesis open before ``start`` closes (brackets and quotes of the keyword
    arguments in between skipped), or None."""
    depth, quote = 1, None
    for i in range(start, len(text)):
        char = text[i]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([<":
            depth += 1
        elif char in ")]>":
            depth -= 1
            if depth == 0:
                return i
    return None


def _from_brackets(text: str, option: str) -> np.ndarray:
    """JSON nested lists, or what Python and NumPy print: `[[1.],[0.]]` (a trailing dot),
    `[1. 0. 1.]` (numbers separated by spaces, rows by line breaks), `(1, 2)`, inf."""
    import json  # only bracketed input pays for it

    try:
        return from_nested(_json_loads(text, option), option)
    except (json.JSONDecodeError, RecursionError):
        pass
    except InvalidData as err:  # JSON, but not numbers: the printed forms do not help
        if not re.search(r"\binf\b|\d\.(?!\d)|\(", text):
            raise err from None
    matlab = re.fullmatch(r"\s*\[([^\[\]]*;[^\[\]]*)\]\s*", text)
    if matlab:  # MATLAB's [1 2; 3 4]: rows split by ';', as an option writes them unbracketed
        return parse_literal(matlab.group(1), option)
    return from_nested(_nested(text, option), option)


def _nested(text: str, option: str):
    """Brackets (or parentheses) of numbers separated by commas and/or whitespace (or, between
    brackets, MATLAB's ';': `[[1 2]; [3 4]]`)."""
    tokens = re.findall(r"[\[\]();]|,|[^\s\[\](),;]+", text)
    stack, out, after = [[]], None, None  # after: the last token, to find ",," and "[,"
    for token in tokens:
        if out is not None:
            raise _unbalanced(text, option, N_("text after the closing bracket"))
        if token in "[(":
            stack.append([])
        elif token in "])":
            if len(stack) == 1:
                raise _unbalanced(text, option, N_("a closing bracket without its opening one"))
            done = stack.pop()
            stack[-1].append(done)
            if len(stack) == 1:
                out = done
        elif token in ",;":
            if after in (",", ";", "[", "(", None):
                raise _unbalanced(text, option, N_("an empty entry"))
        else:
            stack[-1].append(_float_or_text(token))
        after = token
    if out is None:
        raise _unbalanced(text, option, N_("an opening bracket that does not close"))
    return out


def _float_or_text(token: str):
    try:
        return float(token)
    except ValueError:
        return token  # from_nested names it, with its index


def _unbalanced(text: str, option: str, what: str) -> InvalidData:
    return InvalidData(f"{option}: cannot read the brackets ({what})", ACCEPTED_FORMS)


def _from_json_text(text: str, option: str) -> np.ndarray:
    import json  # only JSON input pays for it

    try:
        data = _json_loads(text, option)
    except RecursionError:
        raise InvalidData(f"{option}: the JSON is nested too deeply") from None
    except json.JSONDecodeError as err:
        try:  # written as Python or NumPy print it ([1., 2.], a trailing comma, ，): read so
            return parse_literal(text, option)
        except InvalidData:
            raise InvalidData(f"{option}: not valid JSON ({err.msg} at character {err.pos})") \
                from None
    return from_nested(data, option)


def _json_loads(text: str, option: str):
    """JSON with NaN and ±Infinity, for every reader of JSON tensors (JSON text, and the
    brackets that are JSON); an integer too long for Python to read is an error."""
    import json

    try:
        return json.loads(text, parse_constant=lambda c: {"Infinity": math.inf,
                                                         "-Infinity": -math.inf}.get(c, math.nan))
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer of more than 4,300 digits, which Python will not read
        raise InvalidData(f"{option}: a number too large for a float") from None


def from_nested(data, option: str) -> np.ndarray:
    """Nested lists of numbers (JSON) as an array; ragged lists and non-numbers are errors."""
    if isinstance(data, dict):
        raise InvalidData(f"{option}: expected numbers or nested lists, got a JSON object")
    try:
        bad = _first_non_number(data)
        if bad is not None:
            raise not_a_number(option, *bad)
        _shape(data, option)
    except RecursionError:
        raise InvalidData(f"{option}: the JSON is nested too deeply") from None
    try:
        array = np.array(data, dtype=float)
    except OverflowError:  # a JSON integer beyond a float's range
        raise InvalidData(f"{option}: a number too large for a float") from None
    except (ValueError, TypeError):
        raise InvalidData(f"{option}: the nested lists have more levels than NumPy's 64 "
                          "dimensions") from None
    return finite_or_inf(array, option)


def _first_non_number(data, path=()):
    """(the first value that is not a number, its index), or None."""
    if isinstance(data, list):
        for i, item in enumerate(data):
            found = _first_non_number(item, path + (i,))
            if found:
                return found
        return None
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return None
    return data, path


def _shape(data, option: str, path=()) -> tuple:
    """The shape of nested lists of numbers; rows of different lengths are an error that
    names the first such row, as the text form's does."""
    if not isinstance(data, list):
        return ()
    shapes = [_shape(item, option, path + (i,)) for i, item in enumerate(data)]
    for i, shape in enumerate(shapes):
        if shape != shapes[0]:
            if not shape or not shapes[0]:
                raise InvalidData(f"{option}: index {fmt_index(path + (i,))} mixes numbers "
                                  "and rows; every row needs the same count")
            raise ragged(option, path + (i,), len(data[i]), path + (0,), len(data[0]))
    return (len(data),) + (shapes[0] if shapes else ())


def finite_or_inf(array: np.ndarray, option: str) -> np.ndarray:
    """NaN is never a valid input (docs/contract.md, section 3); ±inf is allowed."""
    nan = np.isnan(array)
    if nan.any():
        at = first_bad(nan)
        where = N_(f" at index {fmt_index(at)}") if array.ndim else ""
        raise InvalidData(f"{option}: NaN{where} is not allowed; give a number")
    return array


# ---------------------------------------------------------------------------------------------
# @files and standard input

_SUFFIXES = (".npy", ".npz", ".json", ".csv", ".tsv", ".txt")


def _split_key(spec: str) -> tuple[str, str | None]:
    """`data.npz:logits` → ("data.npz", "logits"); a path that exists is taken whole."""
    if os.path.exists(spec) or ":" not in spec:
        return spec, None
    path, key = spec.rsplit(":", 1)
    if path.lower().endswith((".npz", ".csv", ".tsv", ".txt")):
        return path, key
    return spec, None


def read_text(path: str) -> str:
    """A file read whole as text: at most MAX_TEXT_BYTES, in the command's --encoding, else
    UTF-8 or UTF-16/32 by its mark (textfiles.decode)."""
    from .textfiles import read_whole

    try:
        with open(path, "rb") as handle:
            return read_whole(handle, repr(path), MAX_TEXT_BYTES,
                              lambda: too_much_text(repr(path)))
    except OSError as err:
        raise open_error(path, err) from None


def too_much_text(name: str, hint: str = N_("give a large table with --table (it streams), "
                                            "or an array as a .npy file")) -> InvalidData:
    """Text read whole (a tensor's @FILE or `-`, a check file) past MAX_TEXT_BYTES; ``hint``
    says what to do instead (a check file: split it)."""
    return InvalidData(f"{name} is larger than {size(MAX_TEXT_BYTES)}, the most read whole "
                       "as text", hint)


def read_file(spec: str, option: str) -> np.ndarray:
    path, key = _split_key(spec)
    if "\0" in path:  # no file has such a name (open() would raise ValueError, not OSError)
        raise open_error(path, FileNotFoundError())
    lower = path.lower()
    if lower.endswith((".npy", ".npz")):
        return _read_numpy(path, key, option)
    text = read_text(path)
    if lower.endswith(".json"):
        return _from_json_text(text, f"{option} ({path})")
    table = lower.endswith((".csv", ".tsv"))
    return parse_text(text, f"{option} ({path})", key, table, tab=lower.endswith(".tsv"))


def parse_text(text: str, where: str, column: str | None = None, table: bool = False,
               tab: bool = False):
    """A tensor written as text, wherever it comes from (an option, an @FILE, standard input),
    by one rule, so that the same text is the same tensor: brackets or a printout, or one line
    (`1,2,3`, `1 2 3`), or rows split by ';' (`1,2; 3,4`), as an option reads them; any other
    lines — and a .csv/.tsv file, a ``table`` by its name — as a table (one value a line is a
    vector, a header is skipped). A lone carriage return (old Mac Excel) ends a line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    literal = _is_printed(text) or not table and ("\n" not in text or ";" in text)
    if column is None and literal:
        return parse_literal(text, where)
    return parse_table(as_ascii(text), where, column, tab)


def _is_printed(text: str) -> bool:
    """Brackets or a pasted printout (saved to a file, piped in), rather than a table."""
    head = _unprompted(text.lstrip().removeprefix("\ufeff"))[:16].translate(_TYPED)
    return head[:1] in ("[", "(") or bool(_PRINTOUT.match(head))


def _read_numpy(path: str, key: str | None, option: str) -> np.ndarray:
    import zipfile

    try:
        # mmap_mode: a .npy is mapped, not read, so a header that claims more values than the
        # file holds (a truncated file, or shape (10**12,)) is refused here, before anything
        # that large is allocated. An .npz member is read (a truncated one ends in EOF).
        data = np.load(path, allow_pickle=False, mmap_mode="r")
        if isinstance(data, np.lib.npyio.NpzFile):
            with data:
                data = _npz_member(data, path, key, option)
    except OSError as err:
        raise open_error(path, err) from None
    except (ValueError, EOFError, zipfile.BadZipFile):
        raise InputOutputError(f"cannot read {path!r}: not a valid .npy/.npz file "
                               "(or it holds Python objects, which are never loaded)") from None
    if data.dtype.kind not in "biuf":
        raise InvalidData(f"{option}: {path} holds {data.dtype} values, not numbers")
    _fits_in_memory(data.size, option, path)
    return finite_or_inf(np.array(data, dtype=float), f"{option} ({path})")


def _npz_member(data, path: str, key: str | None, option: str) -> np.ndarray:
    names = list(data.files)
    if key is None and len(names) == 1:
        key = names[0]
    if key not in names:
        which = "name the array as @FILE.npz:KEY" if key is None else f"no array {key!r}"
        raise InputOutputError(f"{path}: {which}; it holds {', '.join(names) or 'none'}")
    _member_fits(data, key, path, option)
    return data[key]


def _member_fits(data, key: str, path: str, option: str) -> None:
    """An .npz member's size from its .npy header, read inside the zip: a member that would
    inflate past the limits is refused before it is inflated."""
    fmt = np.lib.format
    with data.zip.open(key + ".npy" if key + ".npy" in data.zip.namelist() else key) as member:
        version = fmt.read_magic(member)
        header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(
            version)
        if header is None:
            return  # a newer header version: NumPy's own checks apply
        shape, _, dtype = header(member)
    _fits_in_memory(math.prod(shape), option, f"{path}:{key}")


# A loss keeps several arrays the size of its input (the input in float64, the target, the
# per-element losses, the gradient, intermediate steps): an input whose float64 copy exceeds
# this share of the available memory is refused with one line, not left to the OOM killer.
MEMORY_SHARE = 1 / 8


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _address_space_left() -> int | None:
    """What a limit on the address space (ulimit -v, RLIMIT_AS) still allows, if any."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/statm") as statm:
            return max(0, limit - int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE"))
    except (ImportError, OSError, ValueError, IndexError, AttributeError):
        return None


def _fits_in_memory(values: int, option: str, path: str) -> None:
    if values > MAX_VALUES:
        raise InvalidData(f"{option}: {path} holds {values:,} numbers, more than "
                          f"{MAX_VALUES:,}, the most held in memory at once",
                          STREAMING_HINT)
    known = [m for m in (_available_memory(), _address_space_left()) if m is not None]
    available = min(known) if known else None
    if available is not None and values * 8 > available * MEMORY_SHARE:
        raise InvalidData(f"{option}: {path} holds {values:,} numbers "
                          f"({values * 8 / 2**30:.3g} GiB as float64), more than the free "
                          f"memory ({available / 2**30:.3g} GiB) can compute with",
                          STREAMING_HINT)


def parse_table(text: str, option: str, column: str | None = None, tab: bool = False):
    """One tensor from a text table (rows = lines; a header is detected and skipped), read by
    the same reader as --csv; ``column`` (a name or 0-based index) picks one column."""
    import io

    from .csvsource import Table, read_chunks

    table = Table("-", stdin=io.StringIO(text), delimiter="\t" if tab else None, name=option)
    if table.header and not any(re.search(r"[^\W\d_]", name) for name in table.header):
        # no column name in it (1/3, 50%): a first row of numbers that do not read, said as
        # an option's value would say it, not dropped as a header
        parse_literal(text.lstrip().split("\n", 1)[0], f"{option} row 0")
    try:
        index = table.select(column, option)[0] if column is not None else None
    except UsageError as err:  # the column is named inside the tensor's value: data, not usage
        raise InvalidData(f"{option}: {err.message}") from None
    if index is not None:
        table.usecols = [index]  # the other columns are never parsed (a name column)
    chunks = [array for array, _ in read_chunks(table)]
    array = np.concatenate(chunks) if chunks else np.empty((0, table.columns))
    if not len(array):
        raise InvalidData(f"{option}: the table has a header but no rows of numbers")
    if index is not None:
        array = array[:, 0]
    if array.size == 1:
        return array.reshape(())
    return array.reshape(-1) if array.ndim == 2 and 1 in array.shape else array




def read_tensor(value, where: str, *, text: bool | None = None, stdin=None) -> np.ndarray:
    """The one way to read a tensor, whatever the door: ``value`` is text (every form
    `parse_tensor` takes) or an already-parsed JSON value (a number or nested lists, as in a
    batch line). ``text`` says which; by default a str is text. A JSON door passes
    ``text=False``, so a string there is a value that is not a number (not a file to open).
    ``where`` names the place in the caller's words; errors are the same for both forms."""
    if isinstance(value, np.ndarray):
        return finite_or_inf(np.asarray(value, dtype=float), where)
    if isinstance(value, str) if text is None else text:
        return parse_tensor(value, where, stdin)
    return from_nested(value, where)


def parse_range(text: str, option: str = "--range") -> tuple[float, float]:
    """`-3:3` → (-3.0, 3.0), the ends of a sweep, as torch.linspace(A, B, N) takes them: two
    finite numbers, A above B for a descending sweep (torch.linspace accepts it); A = B is
    refused, as it is no interval to sweep (one point is --x A)."""
    parts = as_ascii(text).split(":")  # (−3：3 as typed: the minus sign, a full colon)
    try:
        if len(parts) != 2:
            raise ValueError
        start, end = float(parts[0]), float(parts[1])
    except ValueError:
        raise UsageError(f"{option}: expected A:B such as -3:3, got {text!r}") from None
    if not (math.isfinite(start) and math.isfinite(end)):
        raise UsageError(f"{option}: expected two finite numbers A:B such as -3:3, got "
                         f"{text!r}")
    if start == end:
        raise UsageError(f"{option}: A and B must differ, such as -3:3; got {text!r}")
    return start, end


def parse_tensor(text: str, option: str, stdin=None) -> np.ndarray:
    """One tensor option's value, whatever its form (`-` reads standard input)."""
    text = text.strip()
    if text == "-":
        return parse_text(_read_stdin(stdin or sys.stdin), f"{option} (stdin)")
    if text.startswith("@"):
        return read_file(text[1:], option)
    return parse_text(text, option)


def _read_stdin(stream) -> str:
    """Standard input read whole: its bytes decoded as a file's are (textfiles: the command's
    --encoding, a byte order mark, else UTF-8 with the encoding it looks like named)."""
    from .textfiles import read_whole

    raw = getattr(stream, "buffer", None)
    if raw is None:  # a text stream given in-process
        return read_at_most(stream, MAX_TEXT_BYTES, lambda: too_much_text("stdin"))
    return read_whole(raw, "stdin", MAX_TEXT_BYTES, lambda: too_much_text("stdin"))
