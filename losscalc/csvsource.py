"""Tables in: CSV/TSV files and pipes, read in chunks so memory stays bounded
(docs/contract.md, section 4).

A table is read as bytes, a chunk of whole lines at a time; each chunk is parsed by NumPy's C
reader (``np.loadtxt``: quotes, CRLF, blank and ``#`` lines, and a column count checked on every
row), on two worker processes when the input is large. A chunk the fast reader refuses is
parsed again line by line, only to say exactly what is wrong and where
(``data.csv line 10482, column "target": cannot read "0.3.1" as a number``) or, with
``--skip-bad-rows``, to drop the bad lines. With the extra ``losscalc[fast]`` installed,
pyarrow's CSV parser (about twice as fast) parses the chunks instead of NumPy's.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import io
import os
import re
import signal
import sys
import warnings

import numpy as np

from .errors import InputOutputError, InvalidData, UsageError, open_error

CHUNK_BYTES = 4 << 20
PARALLEL_BYTES = 32 << 20  # below this, starting worker processes costs more than it saves

PRED_NAMES = ("pred", "preds", "prediction", "predictions", "y_pred", "yhat", "y_hat",
              "output", "logit*", "prob*", "score*")
TARGET_NAMES = ("target", "targets", "label", "labels", "y", "y_true", "true", "class")



def _is_number(text: str) -> bool:
    """Does a header candidate read as a number (then the first row is data)?"""
    try:
        float(text)
        return True
    except ValueError:
        return False

class Table:
    """An open table: where it comes from, its delimiter, header and column count."""

    def __init__(self, source: str, *, delimiter: str | None = None, header: bool | None = None,
                 stdin=None, name: str | None = None):
        self.name = name or ("stdin" if source == "-" else source)
        self.stream, self.size = self._open(source, stdin)
        self.line = 0  # lines consumed so far (1-based numbering of the next is line + 1)
        self.consumed = 0  # bytes of data read so far (read_chunks keeps it up to date)
        first = self._first_line()
        self.delimiter = delimiter if delimiter is not None else self._sniff(first, source)
        fields = self.split(first)
        has_header = not all(_is_number(f) for f in fields) if header is None else header
        self.header = [f.strip() for f in fields] if has_header else None
        self.columns = len(fields)
        self._pending = b"" if has_header else (first + "\n").encode()
        self._pending_line = self.line if has_header else self.line - 1
        # Where the data lines begin in a file, so workers can read ranges of it themselves.
        self.data_offset = self._offsets[-1] if has_header else self._offsets[-2]

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
            raw = self.stream.readline()
            self._offsets.append(self._offsets[-1] + len(raw))
            if not raw:
                raise InvalidData(f"{self.name}: the table is empty (no numbers)")
            self.line += 1
            if self.line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                raise InputOutputError(f"cannot read {self.name!r}: not a text file (not UTF-8)") \
                    from None
            if text and not text.startswith("#"):
                return text

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
        """Named like pred/logits*/probs* and target/label/y; else first columns, then last."""
        def named(patterns):
            if not self.header:
                return []
            lower = [h.lower() for h in self.header]
            return [i for i, h in enumerate(lower) if any(fnmatch.fnmatch(h, p) for p in patterns)]

        pred, target = named(PRED_NAMES), named(TARGET_NAMES)
        if self.columns < 2 and not (pred and target):
            raise UsageError(f"{self.name} has {self.columns} column; a loss needs prediction "
                             "and target columns", "name them with --pred-col and --target-col")
        if not target:
            target = [self.columns - 1]
        if not pred:
            pred = [i for i in range(self.columns) if i not in target]
        return pred, target

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
                continue
            block, buffer = buffer[:cut], buffer[cut:]
            yield line + 1, block
            line += block.count(b"\n")
        if buffer.strip():
            yield line + 1, buffer

    def chunks(self, skip_bad: bool = False):
        """The parsed chunks of the table (read_chunks); arrowsource.Dataset yields the same."""
        return read_chunks(self, skip_bad)

    def close(self) -> None:
        if self.name != "stdin":
            self.stream.close()


class _TextAsBytes:
    """A text stream (a test's StringIO) read as UTF-8 bytes."""

    def __init__(self, stream):
        self.stream = stream

    def readline(self) -> bytes:
        return self.stream.readline().encode()

    def read(self, size: int) -> bytes:
        return self.stream.read(size).encode()


def parse_block(block: bytes, first_line: int, delimiter: str | None, columns: int,
                names: list[str] | None, skip_bad: bool, source: str) -> tuple[np.ndarray, int]:
    """Rows of numbers from whole lines: (array of shape (rows, columns), rows skipped).

    A module-level function, so worker processes can run it.
    """
    array = _fast(block, delimiter, columns)
    if array is not None:
        return array, 0
    return _parse_lines(block, first_line, delimiter, columns, names, skip_bad, source)


def _fast(block: bytes, delimiter: str | None, columns: int) -> np.ndarray | None:
    """pyarrow's reader (with losscalc[fast]) or NumPy's, or None when the block is refused
    (then the exact reader decides what is wrong)."""
    if delimiter is not None and _ARROW and _ARROW[0]:  # loaded for large inputs only
        array = _arrow_parse(block, delimiter, columns)
        if array is not None:
            return array
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


_ARROW: list = []


def _arrow():
    """pyarrow.csv if the extra losscalc[fast] is installed, else None (looked up once).

    LOSSCALC_CSV_PARSER=numpy chooses NumPy's parser even then (for benchmarks).
    """
    if not _ARROW:
        if os.environ.get("LOSSCALC_CSV_PARSER", "").lower() == "numpy":
            _ARROW.append(None)
            return None
        try:
            import pyarrow
            import pyarrow.csv

            _ARROW.append((pyarrow, pyarrow.csv))
        except ImportError:
            _ARROW.append(None)
    return _ARROW[0]


def _arrow_parse(block: bytes, delimiter: str, columns: int) -> np.ndarray | None:
    """Arrow's CSV parser (its float parsing is correctly rounded, like float()), one thread:
    the two worker processes are the parallelism."""
    pa, pacsv = _arrow()
    names = [f"c{i}" for i in range(columns)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(block),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.float64() for n in names}))
    except (pa.ArrowInvalid, ValueError):
        return None
    array = np.column_stack([table.column(i).to_numpy() for i in range(columns)])
    return None if np.isnan(array).any() else array.reshape(-1, columns)


def _parse_lines(block, first_line, delimiter, columns, names, skip_bad, source):
    """The slow, exact reader: each line on its own, for precise errors or skipping."""
    rows, skipped = [], 0
    for number, raw in enumerate(block.split(b"\n"), first_line):
        text = raw.decode("utf-8", errors="replace").strip()
        if not text or text.startswith("#"):
            continue
        try:
            fields = split_fields(text, delimiter, f"{source} line {number}")
            rows.append(_row(fields, columns, names, f"{source} line {number}"))
        except InvalidData:
            if not skip_bad:
                raise
            skipped += 1
    return np.array(rows, dtype=np.float64).reshape(len(rows), columns), skipped


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


def _row(fields, columns, names, where) -> list[float]:
    if len(fields) != columns:
        raise InvalidData(f"{where}: has {len(fields)} fields, expected {columns}")
    values = []
    for i, field in enumerate(fields):
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


def read_chunks(table: Table, skip_bad: bool = False, chunk_bytes: int | None = None):
    """Parsed chunks of ``table`` in order: (array (rows, columns), rows skipped).

    A large file is cut into byte ranges that two worker processes read and parse themselves
    (only the parsed arrays travel back); a long pipe is read here and its chunks parsed by
    the workers. At most four chunks are in flight, so memory stays bounded whatever the size.
    ``table.consumed`` follows the bytes read, for a progress bar.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    arguments = (table.delimiter, table.columns, table.header, skip_bad, table.name)
    if table.size is not None and table.size - table.data_offset >= PARALLEL_BYTES:
        _arrow()  # imported once here (if installed), so the forked workers have it
        starts = range(table.data_offset, table.size, chunk_bytes)
        jobs = ((min(start + chunk_bytes, table.size) - start, parse_range, table.name, start,
                 start + chunk_bytes, table.data_offset, table._pending_line + 1, *arguments)
                for start in starts)
    else:
        blocks = table.blocks(chunk_bytes)
        for _ in range(max(1, PARALLEL_BYTES // chunk_bytes)):
            item = next(blocks, None)
            if item is None:
                return
            table.consumed += len(item[1])
            yield parse_block(item[1], item[0], *arguments)
        _arrow()  # a long pipe: worth loading pyarrow (if installed) before forking
        jobs = ((len(block), parse_block, block, first, *arguments) for first, block in blocks)
    # pyarrow's parser releases the GIL: two threads of this process parse in parallel, with
    # no worker processes to start or arrays to send back (faster, and half the memory).
    run = _in_threads if _ARROW and _ARROW[0] else _in_workers
    for result, nbytes in run(jobs):
        table.consumed += nbytes
        yield result


def _in_threads(jobs):
    """Run (nbytes, function, *arguments) jobs on two threads; (result, nbytes) in order."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        pending = []
        try:
            for nbytes, function, *arguments in jobs:
                pending.append((pool.submit(function, *arguments), nbytes))
                if len(pending) >= 4:
                    future, done = pending.pop(0)
                    yield future.result(), done
            for future, done in pending:
                yield future.result(), done
        finally:
            for future, _ in pending:
                future.cancel()


def _in_workers(jobs):
    """Run (nbytes, function, *arguments) jobs on two worker processes; (result, nbytes)
    in order."""
    import concurrent.futures
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = concurrent.futures.ProcessPoolExecutor(2, mp_context=context,
                                                  initializer=_leave_interrupts_to_parent)
    try:
        pending = []
        for nbytes, function, *arguments in jobs:
            with _interrupts_blocked():  # the workers start here: see below
                pending.append((pool.submit(function, *arguments), nbytes))
            if len(pending) >= 4:
                future, done = pending.pop(0)
                yield future.result(), done
        for future, done in pending:
            yield future.result(), done
    finally:
        # On Ctrl-C (or a reader that stopped): drop the chunks not started, wait for the two
        # running ones (a fraction of a second), so no worker is left behind.
        pool.shutdown(wait=True, cancel_futures=True)


# Ctrl-C: a terminal sends SIGINT to the whole process group, the workers too. A worker that
# took it would print its own KeyboardInterrupt traceback (and could leave the pool broken,
# which the parent then waited on: a hang). So the workers ignore SIGINT, and the parent alone
# turns it into one line, "losscalc: error: interrupted", and exit code 130. SIGINT is blocked
# while the parent forks them, so none arrives before a worker has set itself to ignore it.

_CAN_MASK = hasattr(signal, "pthread_sigmask")


def _leave_interrupts_to_parent() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _CAN_MASK:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _interrupts_blocked():
    if not _CAN_MASK:
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)  # a pending Ctrl-C is delivered now


def parse_range(path: str, start: int, stop: int, data_offset: int, data_line: int,
                delimiter, columns, names, skip_bad, source) -> tuple[np.ndarray, int]:
    """The lines of ``path`` that begin in bytes [start, stop), parsed (in a worker)."""
    with open(path, "rb") as handle:
        handle.seek(max(start - 1, data_offset))
        if start > data_offset:
            handle.readline()  # the rest of the line that began before ``start``
        begin = handle.tell()
        if begin >= stop:
            return np.empty((0, columns)), 0
        block = handle.read(stop - begin)
        if not block.endswith(b"\n"):
            block += handle.readline()  # the line that begins before ``stop`` ends after it
        array = _fast(block, delimiter, columns)
        if array is not None:
            return array, 0
        # Only now is the block's first line number worth counting.
        handle.seek(data_offset)
        first_line = data_line + sum(piece.count(b"\n") for piece in
                                     iter(lambda: handle.read(min(CHUNK_BYTES, begin -
                                                                  handle.tell())), b""))
    return _parse_lines(block, first_line, delimiter, columns, names, skip_bad, source)

