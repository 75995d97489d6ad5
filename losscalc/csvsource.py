"""Tables in: CSV/TSV files and pipes, read in chunks so memory stays bounded
(docs/contract.md, section 4).

A table is read as bytes, a chunk of whole lines at a time, on two worker processes when the
input is large. A plain chunk (numbers only: no quotes, comments or blank lines) is parsed
by whole-array operations (losscalc.vectorcsv, about twice np.loadtxt's speed, the same
bits); any other by NumPy's C reader (``np.loadtxt``: quotes, CRLF, blank and ``#`` lines,
and a column count checked on every row). A chunk both refuse is parsed again line by line,
only to say exactly what is wrong and where (``data.csv line 10482, column "target": cannot
read "0.3.1" as a number``) or, with ``--skip-bad-rows``, to drop the bad lines. With the
extra ``losscalc[fast]`` installed, pyarrow's CSV parser (about twice as fast again) parses
the chunks instead, on two threads of this process.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import io
import itertools
import os
import re
import signal
import sys
import warnings

import numpy as np

from . import vectorcsv
from .errors import InputOutputError, InvalidData, UsageError, open_error
from .i18n import N_
from .limits import MAX_LINE_BYTES, readline_at_most, size
from .textfiles import bom_encoding, codec, not_decoding, utf8_text

CHUNK_BYTES = 4 << 20
IN_FLIGHT = 4  # chunks parsed ahead of the one being reduced
PARALLEL_BYTES = 32 << 20  # below this, starting worker processes costs more than it saves
PIPE_CHUNK_BYTES = 1 << 20  # a pipe's blocks (see read_chunks)
PIPE_AHEAD = 4  # a pipe of at most this many blocks is parsed in this process

PRED_NAMES = ("pred", "preds", "prediction", "predictions", "y_pred", "yhat", "y_hat",
              "output", "logit*", "prob*", "score*")
TARGET_NAMES = ("target", "targets", "label", "labels", "y", "y_true", "true", "class")
# Columns that name or number the rows, never a loss's input (also when they hold numbers).
ID_NAMES = ("id", "*_id", "index", "idx", "name", "*name", "student*", "sample*")
READ_AHEAD = 64 << 10  # bytes after the first line: checked as UTF-8, their first row typed


def _is_number(text: str) -> bool:
    """Does a header candidate read as a number (then the first row is data)?"""
    try:
        float(text)
        return True
    except ValueError:
        return False

def _not_a_mistyped_row(fields: list[str], name: str) -> None:
    """A first row of numbers with one typo (`0.5,1o`) is not a header: a header names its
    columns, and a name with a digit beside numbers (`1o`, `0.3.1`) is a number mistyped."""
    numbers = [f for f in fields if _is_number(f)]
    if not numbers:
        return
    for i, field in enumerate(fields):
        if not _is_number(field) and re.search(r"\d", field) and \
                re.fullmatch(r"[-+\d.eEoOlI,]+", field.strip()):
            raise InvalidData(f"{name} line 1, field {i + 1}: cannot read {field.strip()!r} "
                              "as a number, and a first row of numbers is no header",
                              "fix the number, or give the columns names in a header row")


class Table:
    """An open table: where it comes from, its delimiter, header and column count."""

    def __init__(self, source: str, *, delimiter: str | None = None, header: bool | None = None,
                 stdin=None, name: str | None = None, encoding: str | None = None):
        self.name = name or ("stdin" if source == "-" else source)
        self.stream, self.size = self._open(source, stdin)
        self.stream, self.size = self._as_utf8(encoding, source != "-")
        self.usecols: list[int] | None = None  # the columns parsed (None: all of them)
        self.note: str | None = None  # which columns default_columns chose, and why
        self.line = 0  # lines consumed so far (1-based numbering of the next is line + 1)
        self.consumed = 0  # bytes of data read so far (read_chunks keeps it up to date)
        first = self._first_line()
        self.delimiter = delimiter if delimiter is not None else self._sniff(first, source)
        fields = self.split(first)
        has_header = not all(_is_number(f) for f in fields) if header is None else header
        if header is None and has_header:
            _not_a_mistyped_row(fields, self.name)
        self.header = [f.strip() for f in fields] if has_header else None
        self.columns = len(fields)
        self._pending = b"" if has_header else (first + "\n").encode()
        self._pending_line = self.line if has_header else self.line - 1
        # Where the data lines begin in a file, so workers can read ranges of it themselves.
        self.data_offset = self._offsets[-1] if has_header else self._offsets[-2]
        self._pending += self._read_ahead()

    # -- opening --------------------------------------------------------------------------

    def _open(self, source, stdin):
        if source == "-":
            stream = stdin if stdin is not None else sys.stdin
            return getattr(stream, "buffer", None) or _TextAsBytes(stream), None
        try:
            return open(source, "rb"), os.path.getsize(source)
        except OSError as err:
            raise open_error(source, err) from None

    def _first_line(self) -> str:
        """The first line that is neither blank nor a # comment (a UTF-8 BOM dropped)."""
        self._offsets = [0]
        while True:
            raw = readline_at_most(self.stream, MAX_LINE_BYTES, self._too_long)
            self._offsets.append(self._offsets[-1] + len(raw))
            if not raw:
                raise InvalidData(f"{self.name}: the table is empty (no numbers)")
            self.line += 1
            if self.line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            text = utf8_text(raw, self.name, self.line).strip()
            if text and not text.startswith("#"):
                return text

    def _too_long(self, line: int | None = None) -> InvalidData:
        return InvalidData(f"{self.name} line {line or self.line + 1}: longer than "
                           f"{size(MAX_LINE_BYTES)}, the longest line of a table read",
                           "is it a table? lines end in a newline")

    def _as_utf8(self, encoding: str | None, owned: bool):
        """The stream as UTF-8 with \\n line ends: a file in another encoding (--encoding, or a
        UTF-16/UTF-32 byte order mark) or with CR-only line ends (old Mac) is decoded as it is
        read. Such a stream is read like a pipe (size None): its chunks are cut here, after
        decoding, and parsed by the workers, so memory stays bounded at every size."""
        head = self.stream.peek(4096)[:4096] if hasattr(self.stream, "peek") else b""
        encoding = codec(encoding) if encoding is not None else bom_encoding(head)
        if encoding in (None, "utf-8", "utf-8-sig") and not _cr_only(head):
            return self.stream, self.size
        return _Decoded(self.stream, encoding or "utf-8", self.name, owned), None

    def _read_ahead(self) -> bytes:
        """The bytes after the first line, checked as UTF-8 (an Excel export in GBK has its
        first non-ASCII name here, as a rule), so a wrong encoding is named at once."""
        ahead = self.stream.read(READ_AHEAD)
        utf8_text(ahead, self.name, self.line + 1, partial=len(ahead) == READ_AHEAD)
        return ahead

    @staticmethod
    def _sniff(line: str, source: str) -> str | None:
        """`,`, then tab (always for .tsv), then `;`, else runs of whitespace (None)."""
        if source.lower().endswith(".tsv"):
            return "\t"
        for candidate in (",", "\t", ";"):
            if candidate in line:
                return candidate
        return None

    def split(self, line: str) -> list[str]:
        return split_fields(line, self.delimiter, f"{self.name} line {self.line}")

    # -- columns --------------------------------------------------------------------------

    def column_name(self, index: int) -> str:
        return f'"{self.header[index]}"' if self.header else str(index)

    def select(self, spec: str, option: str) -> list[int]:
        """Columns by name or 0-based index: `logits`, `2`, `a,b`, `2:12`, `logit_*`."""
        out = []
        for part in (p.strip() for p in spec.split(",")):
            out += self._select_one(part, option)
        if not out:
            raise UsageError(f"{option} {spec!r} selects no column{self._known()}")
        return out

    def _select_one(self, part: str, option: str) -> list[int]:
        if self.header and part in self.header:
            return [self.header.index(part)]
        if re.fullmatch(r"\d+", part):
            index = int(part)
            if index >= self.columns:
                raise UsageError(f"{option}: no column {index}; {self.name} has {self.columns} "
                                 "(counting from 0)")
            return [index]
        if re.fullmatch(r"\d*:\d*", part):
            start, stop = (int(v) if v else None for v in part.split(":"))
            return list(range(self.columns))[start:stop]
        if self.header and any(ch in part for ch in "*?["):
            return [i for i, name in enumerate(self.header) if fnmatch.fnmatch(name, part)]
        raise UsageError(f"{option}: no column {part!r}{self._known()}")

    def _known(self) -> str:
        return f" (columns: {', '.join(self.header)})" if self.header else " (no header)"

    def default_columns(self) -> tuple[list[int], list[int]]:
        """Named like pred/logits*/probs* and target/label/y; else first columns, then last
        (of a header's columns, those that are neither text nor an id or a name)."""
        def named(patterns):
            if not self.header:
                return []
            lower = [h.lower() for h in self.header]
            return [i for i, h in enumerate(lower) if any(fnmatch.fnmatch(h, p) for p in patterns)]

        candidates = self._candidates()
        pred, target = named(PRED_NAMES), named(TARGET_NAMES)
        if len(candidates) < 2 and not (pred and target):
            # Too few columns hold numbers in the first row: rather a typo in one (0.5,1o)
            # than a table without numbers, so the columns are read and the cell is named.
            candidates = self._candidates(numbers_only=False)
        if self.columns < 2 and not (pred and target):
            raise UsageError(f"{self.name} has {self.columns} column; a loss needs prediction "
                             "and target columns", "name them with --pred-col and --target-col")
        if len(candidates) < 2 and not (pred and target):
            raise UsageError(f"{self.name}: no two columns of numbers to use as prediction and "
                             "target (text columns and ids are skipped)",
                             "name them with --pred-col and --target-col")
        decided = bool(pred or target)
        if not target:
            target = [i for i in candidates if i not in pred][-1:]
        if not pred:
            pred = [i for i in candidates if i not in target]
        if self.header:
            self.note = self._column_note(pred, target, decided)
        return pred, target

    def _candidates(self, numbers_only: bool = True) -> list[int]:
        """Columns a loss may read by default: all of a headerless table's; of a header's,
        those not named as an id or a name (and holding a number in the first data row)."""
        if not self.header:
            return list(range(self.columns))
        return [i for i, h in enumerate(self.header)
                if not any(fnmatch.fnmatch(h.lower(), p) for p in ID_NAMES)
                and (not numbers_only or self._holds_numbers(i))]

    def _holds_numbers(self, column: int) -> bool:
        """Whether the first data row has a number in ``column`` (True without such a row)."""
        row = self._first_data_row()
        return row is None or column >= len(row) or _is_number(row[column])

    def _first_data_row(self) -> list[str] | None:
        for raw in self._pending.split(b"\n")[:-1]:
            text = raw.decode("utf-8", errors="replace").strip()
            if text and not text.startswith("#"):
                try:
                    return split_fields(text, self.delimiter, self.name)
                except InvalidData:
                    return None
        return None

    def _column_note(self, pred: list[int], target: list[int], decided: bool) -> str | None:
        """Which columns were chosen, when it is not plain (a column left out, or no column
        named as a prediction or a target)."""
        names = ", ".join(f"{self.header[i]} ({i})" for i in pred + target)
        if not decided:
            return N_(f"using columns {names}: no column is named as a prediction or a target "
                      "(pred, label, …), so the last is the target; --pred-col/--target-col "
                      "choose others")
        if len(pred) + len(target) < self.columns:
            return N_(f"using columns {names}; --pred-col/--target-col choose others")
        return None

    # -- reading --------------------------------------------------------------------------

    def blocks(self, size: int):
        """(number of the block's first line, bytes of whole lines) until the end."""
        line, buffer = self._pending_line, self._pending
        while True:
            data = self.stream.read(size)
            if not data:
                break
            buffer += data
            cut = buffer.rfind(b"\n") + 1
            if cut == 0:
                if len(buffer) > MAX_LINE_BYTES:  # no line end in sight (/dev/zero)
                    raise self._too_long(line + 1)
                continue
            block, buffer = buffer[:cut], buffer[cut:]
            yield line + 1, block
            line += block.count(b"\n")
        if buffer.strip():
            yield line + 1, buffer

    def chunks(self, skip_bad: bool = False, after=None):
        """The parsed chunks of the table (read_chunks); arrowsource.Dataset yields the same."""
        return read_chunks(self, skip_bad, after=after)

    def close(self) -> None:
        if self.name != "stdin" or isinstance(self.stream, _Decoded):
            self.stream.close()


class _TextAsBytes:
    """A text stream (a test's StringIO) read as UTF-8 bytes."""

    def __init__(self, stream):
        self.stream = stream

    def readline(self, size: int = -1) -> bytes:
        return self.stream.readline(size).encode()

    def read(self, size: int) -> bytes:
        return self.stream.read(size).encode()


class _Decoded(_TextAsBytes):
    """A byte stream in ``encoding``, with any line ends, read as UTF-8 with \\n."""

    def __init__(self, raw, encoding: str, name: str, owned: bool):
        super().__init__(io.TextIOWrapper(raw, encoding=encoding, newline=None))
        self.encoding, self.name, self.owned = encoding, name, owned

    def readline(self, size: int = -1) -> bytes:
        try:
            return super().readline(size)
        except UnicodeError:
            raise self._error() from None

    def read(self, size: int) -> bytes:
        try:
            return super().read(size)
        except UnicodeError:
            raise self._error() from None

    def _error(self) -> InputOutputError:
        return not_decoding(self.name, self.encoding)

    def close(self) -> None:
        raw = self.stream.detach()  # standard input stays open for others
        if self.owned:
            raw.close()


def not_utf8(data: bytes, name: str) -> None:
    """Raise the error for a first line that is not UTF-8, naming the encoding it looks like
    (nothing if it is UTF-8)."""
    line = data[:data.find(b"\n") + 1] if b"\n" in data else data
    utf8_text(line, name, 1)



def _cr_only(head: bytes) -> bool:
    """Line ends of a lone carriage return (old Mac): the first \\r is not part of \\r\\n."""
    at = head.find(b"\r")
    return 0 <= at < len(head) - 1 and head[at + 1:at + 2] != b"\n" and b"\n" not in head[:at]


def parse_block(block: bytes, first_line: int, delimiter: str | None, columns: int,
                names: list[str] | None, skip_bad: bool, source: str,
                usecols: list[int] | None = None) -> tuple[np.ndarray, int]:
    """Rows of numbers from whole lines: (array of shape (rows, columns), rows skipped);
    with ``usecols``, of those columns only (the others are never parsed: a name column).

    A module-level function, so worker processes can run it.
    """
    array = _fast(block, delimiter, columns, usecols)
    if array is not None:
        return array, 0
    return _parse_lines(block, first_line, delimiter, columns, names, skip_bad, source, usecols)


def _fast(block: bytes, delimiter: str | None, columns: int,
          usecols: list[int] | None = None) -> np.ndarray | None:
    """pyarrow's reader (with losscalc[fast]), else NumPy's: the vectorised one for a plain
    block, np.loadtxt for any other; None when the block is refused (then the exact reader
    decides what is wrong)."""
    if delimiter is not None and _ARROW and _ARROW[0]:  # loaded for large inputs only
        array = _arrow_parse(block, delimiter, columns, usecols)
        if array is not None:
            return array
    array = vectorcsv.parse(block, delimiter, columns, usecols)
    if array is not None:
        return array
    if usecols is not None:
        return _numpy_selected(block, delimiter, columns, usecols)
    try:
        with warnings.catch_warnings():  # a block of only comments: "input contained no
            warnings.simplefilter("ignore")  # data", two lines on stderr; it is 0 rows
            array = np.loadtxt(io.BytesIO(block), delimiter=delimiter, quotechar='"',
                               comments="#", ndmin=2, dtype=np.float64)
    except ValueError:
        return None
    if array.size and (array.shape[1] != columns or np.isnan(array).any()):
        return None
    return array.reshape(-1, columns)


def _numpy_selected(block: bytes, delimiter: str | None, columns: int,
                    usecols: list[int]) -> np.ndarray | None:
    """NumPy's reader on some columns: the others are read as (cut-off) text, never as
    numbers, and every row must still have all the columns (loadtxt's usecols alone would let
    a row with one field too many through)."""
    wanted = set(usecols)
    dtype = np.dtype([(f"c{i}", np.float64 if i in wanted else "U1") for i in range(columns)])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = np.loadtxt(io.BytesIO(block), delimiter=delimiter, quotechar='"',
                              comments="#", ndmin=1, dtype=dtype, encoding="utf-8")
    except ValueError:
        return None
    if not rows.size:
        return np.empty((0, len(usecols)))
    array = np.column_stack([rows[f"c{i}"] for i in usecols])
    return None if np.isnan(array).any() else array


_ARROW: list = []


def _arrow():
    """pyarrow.csv if the extra losscalc[fast] is installed, else None (looked up once).

    LOSSCALC_CSV_PARSER=numpy chooses NumPy's parsers even then, =loadtxt np.loadtxt alone
    (for benchmarks; see losscalc.vectorcsv).
    """
    if not _ARROW:
        if os.environ.get("LOSSCALC_CSV_PARSER", "").lower() in ("numpy", "loadtxt"):
            _ARROW.append(None)
            return None
        try:
            import pyarrow
            import pyarrow.csv

            _ARROW.append((pyarrow, pyarrow.csv))
        except ImportError:
            _ARROW.append(None)
    return _ARROW[0]


def _arrow_parse(block: bytes, delimiter: str, columns: int,
                 usecols: list[int] | None = None) -> np.ndarray | None:
    """Arrow's CSV parser (its float parsing is correctly rounded, like float()), one thread
    per chunk: two threads of this process parse two chunks at once. Columns not in
    ``usecols`` are not converted (include_columns); every row must still have all the columns."""
    pa, pacsv = _arrow()
    names = [f"c{i}" for i in range(columns)]
    used = [names[i] for i in usecols] if usecols is not None else names
    try:
        # pyarrow's own 1 MiB parser blocks: one block per chunk was no faster on the large
        # file and kept 10-25 MiB more resident (docs/performance.md).
        table = pacsv.read_csv(
            pa.BufferReader(block),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            # No null values: an empty field or "NA" is an error here (the exact reader says
            # where), and no field is compared with the null spellings (10% of the time).
            convert_options=pacsv.ConvertOptions(column_types={n: pa.float64() for n in used},
                                                 include_columns=used, null_values=[]))
    except (pa.ArrowInvalid, ValueError):
        return None
    columns = [table.column(i) for i in range(len(used))]
    if any(column.null_count for column in columns):  # (none, as said; but never viewed)
        return None
    # Each chunk's values viewed, not converted (ChunkedArray.to_numpy copies them).
    return _columns_side_by_side([[float64_view(part) for part in column.chunks]
                                  for column in columns])


def float64_view(part) -> np.ndarray:
    """A float64 Arrow array (without nulls) as a NumPy view of its data buffer: unlike
    Array.to_numpy, this never loads pyarrow's pandas shim (pandas itself, where installed:
    30 MiB more of resident memory)."""
    return np.frombuffer(part.buffers()[1], dtype=np.float64, count=len(part),
                         offset=part.offset * 8)


def _columns_side_by_side(columns: list[list[np.ndarray]]) -> np.ndarray | None:
    """The parsed columns (each in parts) as one (rows, columns) array in column order
    (Fortran), so that a column is a contiguous view (Columns.split takes it without a
    copy); None if any value is NaN (np.min propagates it: one pass, no temporary mask)."""
    array = np.empty((sum(len(part) for part in columns[0]), len(columns)), order="F")
    for i, parts in enumerate(columns):
        if parts:
            np.concatenate(parts, out=array[:, i])
    return None if array.size and np.isnan(array.min()) else array


def _parse_lines(block, first_line, delimiter, columns, names, skip_bad, source, usecols=None):
    """The slow, exact reader: each line on its own, for precise errors or skipping."""
    rows, skipped = [], 0
    for number, raw in enumerate(block.split(b"\n"), first_line):
        text = raw.decode("utf-8", errors="replace").strip()
        if not text or text.startswith("#"):
            continue
        try:
            fields = split_fields(text, delimiter, f"{source} line {number}")
            rows.append(_row(fields, columns, names, f"{source} line {number}", usecols))
        except InvalidData:
            if not skip_bad:
                raise
            skipped += 1
    width = columns if usecols is None else len(usecols)
    return np.array(rows, dtype=np.float64).reshape(len(rows), width), skipped


def split_fields(text: str, delimiter: str | None, where: str) -> list[str]:
    """The fields of one line. The csv module refuses a lone carriage return inside a line
    (lines are cut at \\n only) and a field over 128 KiB: that is bad data (exit 3), not a bug."""
    if delimiter is None:
        return text.split()
    try:
        return next(csv.reader([text], delimiter=delimiter, skipinitialspace=True))
    except csv.Error as err:
        reason = "a lone carriage return inside the line" if "\r" in text else str(err)
        raise InvalidData(f"{where}: cannot split the line into fields ({reason})") from None


def _row(fields, columns, names, where, usecols=None) -> list[float]:
    if len(fields) != columns:
        raise InvalidData(f"{where}: has {len(fields)} fields, expected {columns}")
    values = []
    for i in range(columns) if usecols is None else usecols:
        field = fields[i]
        column = f'"{names[i]}"' if names else str(i)
        try:
            value = float(field)
        except ValueError:
            raise InvalidData(f'{where}, column {column}: cannot read "{field.strip()}" as a '
                              "number") from None
        if value != value:
            raise InvalidData(f"{where}, column {column}: NaN is not allowed")
        values.append(value)
    return values


def read_chunks(table: Table, skip_bad: bool = False, chunk_bytes: int | None = None,
                after=None):
    """Parsed chunks of ``table`` in order: (array (rows, columns), rows skipped).

    A large file is cut into byte ranges that two worker processes read and parse themselves
    (only the parsed arrays, or what ``after`` makes of them, travel back); a long pipe is
    read here and its chunks parsed by the workers. At most four chunks are in flight, so
    memory stays bounded whatever the size.
    ``table.consumed`` follows the bytes read, for a progress bar.

    ``after()``, if given, is asked as each chunk is handed to a worker for a function to
    run on its array there (None: none); the chunk then comes back as what it returns — a
    streamed loss's sums instead of the array, so that the workers compute too.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    after = after or (lambda: None)
    arguments = (table.delimiter, table.columns, table.header, skip_bad, table.name,
                 table.usecols)
    if table.size is not None and table.size - table.data_offset >= PARALLEL_BYTES:
        _arrow()  # imported once here (if installed), so the forked workers have it
        starts = range(table.data_offset, table.size, chunk_bytes)
        jobs = ((min(start + chunk_bytes, table.size) - start, _then, after(), parse_range,
                 table.name, start, start + chunk_bytes, table.data_offset,
                 table._pending_line + 1, *arguments) for start in starts)
    else:
        # A file below PARALLEL_BYTES is read here, and so is a short pipe. A longer pipe's
        # blocks all go to the workers, forked before this process has parsed or computed
        # anything, in blocks of 1 MiB: the tree's memory counts the pages the workers share
        # with this process once per process, and the blocks in flight twice (here, and
        # pickled on their way). Forked later, with 4 MiB blocks, it was 210 MiB, now 130.
        blocks = table.blocks(chunk_bytes if table.size is not None
                              else min(chunk_bytes, PIPE_CHUNK_BYTES))
        head = list(itertools.islice(blocks, PIPE_AHEAD + 1)) if table.size is None else []
        if len(head) <= PIPE_AHEAD:
            for first, block in itertools.chain(head, blocks):
                table.consumed += len(block)
                yield _then(after(), parse_block, block, first, *arguments)
            return
        _arrow()  # a long pipe: worth loading pyarrow (if installed) before forking
        jobs = ((len(block), _then, after(), parse_block, block, first, *arguments)
                for first, block in itertools.chain(head, blocks))
    # pyarrow's parser releases the GIL: two threads of this process parse in parallel, with
    # no worker processes to start or arrays to send back (faster, and half the memory).
    run = _in_threads if _ARROW and _ARROW[0] else _in_workers
    for result, nbytes in run(jobs):
        table.consumed += nbytes
        yield result


def _then(then, parse, *arguments):
    """``parse(*arguments)``, its array passed through ``then`` where there is one."""
    array, skipped = parse(*arguments)
    return (then(array) if then is not None and len(array) else array), skipped


def _in_threads(jobs):
    """Run (nbytes, function, *arguments) jobs on two threads; (result, nbytes) in order."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        pending = []
        try:
            yield from _in_order(pool.submit, jobs, pending)
        finally:
            for future, _ in pending:
                future.cancel()


def _in_order(submit, jobs, pending: list):
    """Each job submitted ahead (at most IN_FLIGHT at once), its (result, nbytes) yielded in
    the order of the jobs; ``pending`` holds those submitted and not yet yielded."""
    for nbytes, function, *arguments in jobs:
        pending.append((submit(function, *arguments), nbytes))
        if len(pending) >= IN_FLIGHT:
            future, done = pending.pop(0)
            yield future.result(), done
    while pending:
        future, done = pending.pop(0)
        yield future.result(), done


def _in_workers(jobs):
    """Run (nbytes, function, *arguments) jobs on two worker processes; (result, nbytes)
    in order."""
    import concurrent.futures
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = concurrent.futures.ProcessPoolExecutor(2, mp_context=context,
                                                  initializer=_leave_interrupts_to_parent,
                                                  initargs=(os.getpid(),))
    def submit(function, *arguments):
        with _interrupts_blocked():  # the workers start here: see below
            return pool.submit(function, *arguments)

    stopped = False
    try:
        yield from _in_order(submit, jobs, [])
    except BaseException:
        # Ctrl-C, SIGTERM, an error, a reader that stopped: the chunks in flight are not
        # wanted, so the workers are stopped now rather than waited for.
        _stop_workers(multiprocessing)
        stopped = True
        raise
    finally:
        # Not waited for once stopped: a worker killed while it wrote its chunk leaves half a
        # message in the pool's result pipe, and the pool's thread would wait for the rest
        # forever (the process then ends with os._exit, which does not join that thread).
        pool.shutdown(wait=not stopped, cancel_futures=True)


def _stop_workers(multiprocessing) -> None:
    for worker in multiprocessing.active_children():  # losscalc starts no other processes
        worker.terminate()


# Ctrl-C: a terminal sends SIGINT to the whole process group, the workers too. A worker that
# took it would print its own KeyboardInterrupt traceback (and could leave the pool broken,
# which the parent then waited on: a hang). So the workers ignore SIGINT, and the parent alone
# turns it into one line, "losscalc: error: interrupted", and exit code 130. SIGTERM and
# SIGHUP simply end a worker (the parent's handlers, inherited by the fork, are reset). These
# signals are blocked while the parent forks, so none arrives before a worker has set up.
#
# Workers die with their parent, however it ends (even SIGKILL): otherwise they would wait
# forever on the pool's pipe, which each holds open for the other, and keep the caller's
# stderr open, so that the caller waits too. On Linux the kernel kills them
# (PR_SET_PDEATHSIG); elsewhere a thread in each worker checks every half second.

_CAN_MASK = hasattr(signal, "pthread_sigmask")
_WORKER_SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                   if hasattr(signal, name)}
PARENT_CHECK_SECONDS = 0.5


def _leave_interrupts_to_parent(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in _WORKER_SIGNALS - {signal.SIGINT}:
        signal.signal(signum, signal.SIG_DFL)
    _die_with_parent(parent)
    if _CAN_MASK:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _WORKER_SIGNALS)


def _die_with_parent(parent: int) -> None:
    if not _kill_me_when_parent_dies():
        import threading

        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the kernel was asked to tell
        os._exit(1)


def _kill_me_when_parent_dies() -> bool:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) on Linux; False where there is no such call."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


@contextlib.contextmanager
def _interrupts_blocked():
    if not _CAN_MASK:
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _WORKER_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)  # a pending Ctrl-C is delivered now


LINE_SLACK = 4096  # bytes read past a range, where the line that crosses its end ends


def _read_lines(handle, size: int) -> bytes | memoryview:
    """``size`` bytes and the rest of the line they end in. Read with some slack and cut,
    as a view: appending the rest (bytes +=) copied the whole 4 MiB range again."""
    block = handle.read(size + LINE_SLACK)
    end = block.find(b"\n", size - 1) if len(block) > size else -1
    if end >= 0:
        return memoryview(block)[:end + 1]
    if len(block) > size:  # a line longer than the slack (else the file ended)
        block += handle.readline()
    return block


def parse_range(path: str, start: int, stop: int, data_offset: int, data_line: int,
                delimiter, columns, names, skip_bad, source,
                usecols=None) -> tuple[np.ndarray, int]:
    """The lines of ``path`` that begin in bytes [start, stop), parsed (in a worker)."""
    with open(path, "rb") as handle:
        handle.seek(max(start - 1, data_offset))
        if start > data_offset:
            handle.readline()  # the rest of the line that began before ``start``
        begin = handle.tell()
        if begin >= stop:
            return np.empty((0, columns if usecols is None else len(usecols))), 0
        block = _read_lines(handle, stop - begin)
        array = _fast(block, delimiter, columns, usecols)
        if array is not None:
            return array, 0
        block = bytes(block)
        # Only now is the block's first line number worth counting.
        handle.seek(data_offset)
        first_line = data_line + sum(piece.count(b"\n") for piece in
                                     iter(lambda: handle.read(min(CHUNK_BYTES, begin -
                                                                  handle.tell())), b""))
    return _parse_lines(block, first_line, delimiter, columns, names, skip_bad, source, usecols)

