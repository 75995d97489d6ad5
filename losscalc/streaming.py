"""A loss over a table (--csv, or CSV piped to standard input), read chunk by chunk.

A table that fits (up to IN_MEMORY_VALUES numbers) is gathered and computed like any input,
so every output and --explain work as usual. A larger one is streamed: each chunk is computed
on its own — its losses summed, the mean's divisor (the element count, or CE's Σ w_y) summed
beside them, both exactly (ExactSum) — so memory stays bounded whatever the size. Without
per-row output, the worker process or thread that parsed a chunk computes its sums
(chunk_sums); per-row output (--format csv, or plain with --reduction none) is computed
here, in order, and written as each chunk is done.
Both paths give the same answer: chunk sums are added as NumPy adds (inf + −inf is nan, an
overflow is inf), and --reduction none in a form that is not written row by row (JSON, a
table) gathers every row, as its output holds every row anyway.
"""

from __future__ import annotations

import os
import re
import sys
import time
from functools import partial
from typing import NamedTuple

import numpy as np

from .core import compute, prepare_params, reduction_note
from .csvsource import Table
from .errors import InvalidData, LosscalcError, UsageError
from .exactsum import ExactSum
from .i18n import N_
from .inputs import read_tensor
from .losses import resolve
from .report import csv_header, csv_lines, csv_rows, json_params, plain_values

IN_MEMORY_VALUES = 1 << 19  # numbers gathered before switching to streaming (4 MiB)
STREAM_ROWS = "LOSSCALC_STREAM_ROWS"  # tests: stream every table of more rows than this
PROGRESS_AFTER = 0.5  # seconds of reading before a progress bar appears (terminals only)
# How many times faster losscalc[fast] (pyarrow's parser) read the 10-million-row CSV of
# benchmarks/csv_throughput.py than NumPy's parsers did: 2.43 s / 1.20 s, medians of seven
# alternating runs on a 2-core machine (docs/performance.md). Measured, not guessed:
# update it with the benchmark.
FAST_SPEEDUP = 2.0
NUDGE_BYTES = 64 << 20  # a CSV this large read without pyarrow gets the note


_DELIMITERS = {"tab": "\t", "\\t": "\t", "space": None, "whitespace": None, " ": None}


def open_table(spec, opts, stdin=None) -> Table:
    source = opts["csv"] or "-"
    delimiter = opts["delimiter"]
    if delimiter is not None:
        delimiter = _DELIMITERS.get(delimiter.lower(), delimiter)
        if delimiter is not None and len(delimiter) != 1:
            raise UsageError(f"--delimiter must be one character, tab or whitespace; got "
                             f"{opts['delimiter']!r}")
    header = False if opts["no_header"] else None
    from .arrowsource import Dataset, is_dataset

    if is_dataset(source):  # Parquet, Arrow, a folder or glob of files
        return Dataset(source, delimiter=delimiter, header=header,
                       encoding=opts.get("encoding"))
    try:
        return Table(source, delimiter=delimiter, header=header, stdin=stdin,
                     encoding=opts.get("encoding"))
    except (InvalidData, OSError):
        if opts["csv"]:
            raise
        raise UsageError(f"{spec.name} needs --pred and --target, a --csv file, or a CSV on "
                         "standard input", f"for example: {spec.example}") from None


class Columns:
    """Which columns hold the prediction, the target and the per-sample weights."""

    def __init__(self, table: Table, spec, opts) -> None:
        both = opts["pred_col"] and opts["target_col"]
        pred, target = table.default_columns() if not both else ([], [])
        self.pred = table.select(opts["pred_col"], "--pred-col") if opts["pred_col"] else pred
        self.target = (table.select(opts["target_col"], "--target-col") if opts["target_col"]
                       else target)
        if opts["pred_col"] and not opts["target_col"] and set(self.target) & set(self.pred):
            self.target = [i for i in range(table.columns) if i not in self.pred][-1:]
        self.weight = None
        if opts["weight_col"]:
            if not any(p.name == "weight" and spec.name.startswith("bce") for p in spec.params):
                raise UsageError(f"{spec.name} takes no per-sample weights"
                                 + (" (its --weight is one number per class)"
                                    if any(p.name == "weight" for p in spec.params) else ""))
            self.weight = table.select(opts["weight_col"], "--weight-col")[:1]
        if not self.pred or not self.target:
            raise UsageError("the table needs prediction and target columns",
                             "name them with --pred-col and --target-col")
        overlap = set(self.pred) & set(self.target)
        if overlap:
            names = ", ".join(table.column_name(i) for i in sorted(overlap))
            raise UsageError(f"column {names} is both prediction and target",
                             "name them with --pred-col and --target-col")
        self.note = None if opts["pred_col"] or opts["target_col"] else table.note
        self._parse_only_these(table)

    def _parse_only_these(self, table: Table) -> None:
        """The table parses the columns used and no other (a name column is never read as a
        number); the indices here become positions among them."""
        used = sorted({*self.pred, *self.target, *(self.weight or [])})
        if len(used) == table.columns:
            return
        table.usecols = used
        at = {column: i for i, column in enumerate(used)}
        self.pred, self.target = [at[c] for c in self.pred], [at[c] for c in self.target]
        self.weight = [at[c] for c in self.weight] if self.weight else self.weight

    def split(self, chunk: np.ndarray):
        """A chunk's prediction, target and weights (one column becomes a vector)."""
        def take(indices):
            if len(indices) == 1:  # a view, without a copy
                return chunk[:, indices[0]]
            return chunk[:, indices]

        pred, target = take(self.pred), take(self.target)
        weight = None
        if self.weight is not None:
            weight = chunk[:, self.weight[0]]
            if target.ndim == 2:
                weight = weight[:, None]
        return pred, target, weight


class _Progress:
    """A rich progress bar on stderr, only on a terminal and only once reading is slow."""

    def __init__(self, table: Table, quiet: bool) -> None:
        self.table, self.started = table, time.monotonic()
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar = self.task = None
        self.done = 0

    def advance(self, done: int, rows: int) -> None:
        self.done = done
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.started < PROGRESS_AFTER:
                return
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            # No refresh thread (auto_refresh=False): the reader may fork worker processes.
            self.bar = Progress(TextColumn(f"reading {self.table.name}"), BarColumn(),
                                DownloadColumn(), TransferSpeedColumn(),
                                TextColumn("{task.fields[rate]}"),
                                TimeRemainingColumn(), auto_refresh=False, transient=True,
                                console=_stderr_console())
            self.bar.start()
            self.task = self.bar.add_task("read", total=self.table.size, rate="")
        elapsed = max(time.monotonic() - self.started, 1e-9)
        self.bar.update(self.task, completed=self.done, rate=f"{rows / elapsed:,.0f} rows/s")
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


class Gathered(NamedTuple):
    """A table small enough to compute at once: its tensors, as any other input."""

    pred: np.ndarray
    target: np.ndarray
    params: dict
    notes: list[str]


class Streamed(NamedTuple):
    """A table computed chunk by chunk: the reduced value and what is known about it."""

    loss: str
    reduction: str
    dtype: str
    value: float
    rows: int
    shape: dict[str, list[int]]
    params: dict  # as JSON
    notes: list[str]
    rows_written: bool  # the per-row output (--format csv …) went out as it was computed
    sums: tuple = ()  # (ExactSum of the losses, ExactSum of the mean's divisor): --partial


def read_table(spec, opts, stdin=None, out=None) -> Gathered | Streamed:
    """Read the table of ``opts`` (--csv or standard input): gathered when it fits, else
    streamed, with per-row output written to ``out`` as each chunk is computed."""
    table = open_table(spec, opts, stdin)
    columns = Columns(table, spec, opts)
    params = {p.name: opts[p.name] for p in spec.params if p.kind != "tensor"}
    for p in spec.params:
        if p.kind == "tensor" and opts.get(p.name) is not None:
            params[p.name] = read_tensor(opts[p.name], p.option)
    progress = _Progress(table, opts["quiet"])
    chunks, rows, values, skipped = [], 0, 0, 0
    streamer, pools = None, None

    def after():  # once streaming without per-row output, the workers compute the sums too
        return streamer.remote if streamer is not None else None

    try:
        for array, bad in table.chunks(opts["skip_bad_rows"], after):
            skipped += bad
            if isinstance(array, ChunkSums):  # computed where it was parsed
                streamer.merge(array)
                rows += array.rows
                progress.advance(table.consumed, rows)
                continue
            if not len(array):  # a range of blank or comment lines, or all skipped
                continue
            rows += len(array)
            values += array.size
            progress.advance(table.consumed, rows)
            if pools is None:
                pools = _pools_rows(spec, columns, array, params, opts["dtype"])
            if streamer is None and (_fits(rows, values) or _needs_every_row(opts)) and \
                    not opts.get("partial") and (
                    pools or not _stream_rows(opts)):
                chunks.append(array)
                continue
            if pools:
                _pooled(spec, opts)
            if streamer is None:
                streamer = _Streamer(spec, columns, params, opts, out or sys.stdout)
                for earlier in chunks:
                    streamer.add(earlier)
                chunks = []
            streamer.add(array)
    finally:
        progress.close()
        table.close()
    notes = [f"skipped {skipped} unreadable row{'s' if skipped != 1 else ''}"] if skipped else []
    if columns.note:
        notes.insert(0, columns.note)
    notes += _fast_nudge(table)
    if streamer is not None:
        return streamer.finish(notes)
    if not chunks:
        raise InvalidData(f"{table.name}: the table has no rows of numbers")
    pred, target, weight = columns.split(np.concatenate(chunks))
    if weight is not None:
        params["weight"] = weight
    return Gathered(pred, target, params, notes)


def _pooled(spec, opts) -> None:
    """A loss that pools rows (no loss per row) cannot be cut into chunks or shards."""
    if opts.get("partial"):
        raise UsageError(f"{spec.name} does not give one loss per row (it pools rows into one "
                         "value), so a table of it has no partial sums to merge",
                         N_("Keras losses average a one-column prediction as one sample: "
                            "give K prediction columns for samples of K values, or read the "
                            "whole table at once, without --partial"))
    raise UsageError(f"{spec.name} does not give one loss per row (it pools rows into one "
                     "value), so this table is too large to compute chunk by chunk",
                     N_("Keras losses average a one-column prediction as one sample: give K "
                        "prediction columns for samples of K values, or a smaller table"))


def _fast_nudge(table) -> list[str]:
    """One note for a large CSV read by NumPy's parser because pyarrow is not installed."""
    if not isinstance(table, Table) or getattr(table, "files", None) or \
            table.consumed < NUDGE_BYTES:
        return []
    try:
        import pyarrow.csv  # noqa: F401  (already loaded by the reader when installed)
    except ImportError:
        return [f"pip install 'losscalc[fast]' reads large CSV files like this one about "
                f"{FAST_SPEEDUP:g}× faster (pyarrow's parser; measured with "
                "benchmarks/csv_throughput.py)"]
    return []


def _pools_rows(spec, columns, array, params, dtype) -> bool:
    """True when the loss gives no loss per table row (dice pools the batch; a Keras loss
    averages a one-column prediction as one sample), so chunks cannot be computed apart."""
    pred, target, weight = columns.split(array[:2])
    if weight is not None:
        params = {**params, "weight": weight}
    try:
        r = compute(spec, pred, target, params, "none", dtype)
    except LosscalcError:
        return False  # the whole table will say what is wrong
    return np.shape(r.elementwise)[:1] != (len(pred),)


def _stream_rows(opts) -> bool:
    """Per-row output that is the same written chunk by chunk as computed at once: the
    losses with the gradient of their sum (--reduction none or sum)."""
    if opts["reduction"] not in ("none", "sum") or opts["json"]:
        return False
    return opts["format"] == "csv" or (opts["reduction"] == "none" and (
        opts["format"] == "plain" or opts["format"] is None and not sys.stdout.isatty()))


def _fits(rows: int, values: int) -> bool:
    """Whether the table read so far is still gathered (LOSSCALC_STREAM_ROWS, for tests,
    streams any table of more rows than it says)."""
    limit = os.environ.get(STREAM_ROWS, "").strip()
    if limit.isdigit():
        return rows <= int(limit)
    return values <= IN_MEMORY_VALUES


def _needs_every_row(opts) -> bool:
    """--reduction none in a form that is not written row by row (JSON, a table) prints every
    per-element loss and gradient: the table is gathered whatever its size, as the output
    is as large as the input anyway."""
    return opts["reduction"] == "none" and not _stream_rows(opts)


class ChunkSums(NamedTuple):
    """What one chunk adds to a streamed value, computed where it was parsed (a worker
    process or thread), so that only these few numbers come back."""

    rows: int
    width: int
    total: ExactSum | None  # the losses' exact sum
    divisor: ExactSum | None  # the mean's divisor (the element count, or CE's Σ w_y)
    notes: list[str]
    shapes: tuple  # the prediction's and the target's shape after the row axis
    error: InvalidData | None = None  # said by the streamer, with the rows it is about


class _Task(NamedTuple):
    """How a chunk is computed: sent to the workers with each chunk (the loss by its name:
    a registry entry holds functions that do not pickle)."""

    loss: str
    columns: Columns
    params: dict
    dtype: str
    gradient: bool  # --format csv shows it per row

    def compute(self, array: np.ndarray, seed=None):
        """The chunk's result (its losses summed; its gradient, of ``seed`` times that sum)
        and its prediction and target."""
        pred, target, weight = self.columns.split(array)
        params = dict(self.params)
        if weight is not None:
            params["weight"] = weight
        r = compute(resolve(self.loss), pred, target, params, "sum", self.dtype,
                    gradient=self.gradient or seed is not None, seed=seed)
        return r, pred, target


def _sums(r, array: np.ndarray, pred, target) -> ChunkSums:
    """A computed chunk's exact sums and what else the streamed value keeps of it."""
    total, divisor = ExactSum(), ExactSum()
    total.add_array(r.elementwise)
    divisor.add(r.divisor)
    return ChunkSums(len(array), array.shape[1], total, divisor, list(r.notes),
                     (np.shape(pred)[1:], np.shape(target)[1:]))


def chunk_sums(task: _Task, array: np.ndarray) -> ChunkSums:
    """A chunk computed and summed (run by a worker: a module-level function)."""
    try:
        r, pred, target = task.compute(array)
    except InvalidData as err:
        return ChunkSums(len(array), array.shape[1], None, None, [], (), err)
    return _sums(r, array, pred, target)


class _Streamer:
    """Computes chunk after chunk: sums for the value, per-row output as it goes."""

    def __init__(self, spec, columns, params, opts, out) -> None:
        self.spec, self.params, self.opts = spec, params, opts
        # Exact sums: the value does not depend on how the rows were cut (chunks, --partial
        # shards merged), and is the correctly rounded sum of the per-element losses.
        self.total, self.divisor = ExactSum(), ExactSum()
        self.rows, self.width, self.shape, self.notes = 0, 1, None, []
        self.per_row = opts["format"] == "csv" or _stream_rows(opts)
        self.out = out
        # The gradient of a mean is known once its divisor is, at the end: until then the
        # chunks wait in a temporary file, and their rows are written by finish().
        self.spool = _Spool() if self.per_row and opts["reduction"] in ("mean", "batchmean") \
            else None
        self.task = _Task(spec.name, columns, params, opts["dtype"],
                          opts["format"] == "csv" and self.spool is None)
        # Without per-row output, a chunk's sums are all that is needed of it: the workers
        # that parse the chunks compute them (rows written here must be written in order).
        self.remote = None if self.per_row else partial(chunk_sums, self.task)

    def add(self, array: np.ndarray) -> None:
        """A chunk computed here (its rows written, if they are)."""
        try:
            r, pred, target = self.task.compute(array)
        except InvalidData as err:
            raise self._at(err, len(array)) from None
        if self.spool is not None:
            self.spool.keep(array)
        elif self.per_row:
            self._write_rows(r, self.rows)
        self.merge(_sums(r, array, pred, target))

    def merge(self, chunk: ChunkSums) -> None:
        """A chunk's sums, computed here or where it was parsed."""
        if chunk.error is not None:
            raise self._at(chunk.error, chunk.rows) from None
        self.total.merge(chunk.total)
        self.divisor.merge(chunk.divisor)
        self.notes += [n for n in chunk.notes if n not in self.notes]
        self.rows += chunk.rows
        self.width = chunk.width
        self.shape = (self.rows, *chunk.shapes[0]), (self.rows, *chunk.shapes[1])

    def _at(self, err: InvalidData, rows: int):
        """A chunk's error said of the whole table: the index it names counted from the
        table's first row, as in memory; else the chunk's rows named before it."""
        shifted, found = re.subn(r"(?<=at index \[)\d+",
                                 lambda m: str(int(m.group()) + self.rows), err.template, count=1)
        if found:
            return err.reworded(shifted)
        return err.prefixed(f"rows {self.rows}–{self.rows + rows - 1}: ")

    def _write_rows(self, r, first: int) -> None:
        if self.opts["format"] == "csv":
            header = csv_header(r) if first == 0 else None
            self.out.write(csv_lines(header, csv_rows(r, first)))
        else:
            self.out.write(plain_values(r.elementwise))

    def _write_spooled(self) -> None:
        """The waiting chunks' rows, their gradient that of the whole table's mean: each
        chunk's sum is seeded with what the mean's division passes back (tape.div)."""
        kind = np.float32 if self.opts["dtype"] == "float32" else np.float64
        with np.errstate(divide="ignore"):  # a mean of nothing (every target ignored)
            seed = kind(1) / kind(self.value_divisor())
        first = 0
        with self.spool:
            for array in self.spool:
                r = self.task.compute(array, seed)[0]
                self._write_rows(r, first)
                first += len(array)

    def value_divisor(self) -> float:
        return divisor_of(self.opts["reduction"], self.divisor.value, self.rows)

    def finish(self, notes: list[str]) -> Streamed:
        value = reduced(self.total.value, self.value_divisor(), self.opts["dtype"])
        if self.spool is not None:
            self._write_spooled()
        if self.per_row:
            self.out.flush()
        said = reduction_note(self.spec, self.opts["reduction"])
        notes = self.notes + ([said] if said else []) + notes
        if self.rows * self.width > IN_MEMORY_VALUES:
            notes.append(f"streamed {self.rows:,} rows in bounded memory: the per-element "
                         "losses and the gradient were not kept" + (
                             "" if self.per_row else " (--format csv writes them row by row)"))
            skipped = [o for o, k in (("--explain", "explain"), ("--check-grad", "check_grad"))
                       if self.opts[k]]
            if skipped:
                notes.append(f"{' and '.join(skipped)} need the whole table in memory and were "
                             "skipped; for the first rows: head -n 100 FILE | losscalc …")
        values = prepare_params(self.spec, self.params, np.dtype(self.opts["dtype"]))
        return Streamed(self.spec.name, self.opts["reduction"], self.opts["dtype"], value,
                        self.rows, {"pred": list(self.shape[0]), "target": list(self.shape[1])},
                        json_params(values), notes, self.per_row, (self.total, self.divisor))


class _Spool:
    """Chunks kept in an unnamed temporary file (gone with the process, however it ends),
    read back in order: bounded memory for rows that cannot be written yet."""

    def __init__(self) -> None:
        import tempfile

        self.file, self.count = tempfile.TemporaryFile(), 0

    def keep(self, array: np.ndarray) -> None:
        np.save(self.file, array, allow_pickle=False)
        self.count += 1

    def __iter__(self):
        self.file.seek(0)
        for _ in range(self.count):
            yield np.load(self.file, allow_pickle=False)

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()


def divisor_of(reduction: str, divisor: float, rows: int) -> float:
    """What a streamed sum is divided by: the mean's divisor, the rows (batchmean), or 1."""
    return {"mean": divisor, "batchmean": rows}.get(reduction, 1.0)


def reduced(total: float, divisor: float, dtype: str) -> float:
    """A streamed table's value (or merged shards'): the sum over its divisor, in the dtype's
    arithmetic as the in-memory path divides: in float32 a sum beyond float32's range is inf,
    and 0/0 is nan (a mean of nothing)."""
    kind = np.float32 if dtype == "float32" else np.float64
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return float(kind(total) / kind(divisor))
