"""Tables in Arrow's formats: a Parquet or Arrow IPC / Feather file, or a folder or glob of
files (Parquet, Arrow, or CSV/TSV) read as one dataset (docs/contract.md, section 4).

pyarrow (the extra losscalc[fast]) reads them by record batches, file after file in name
order, so memory stays bounded whatever the dataset's size; only the columns the loss uses
are read (projection). ``Dataset`` picks columns as a CSV ``Table`` does (it is one, without
a stream) and yields the same chunks, (array of the used columns, rows skipped), to the
streaming code.
"""

from __future__ import annotations

import glob
import os

import numpy as np

from .csvsource import Table, float64_view
from .errors import InputOutputError, InvalidData, UsageError, open_error
from .textfiles import codec

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".arrow": "ipc", ".feather": "ipc",
           ".ipc": "ipc", ".csv": "csv", ".tsv": "csv", ".txt": "csv"}
BATCH_ROWS = 1 << 17  # rows per record batch: 1 MiB per column
EXTRA_HINT = "pip install 'losscalc[fast]'"


def _format(path: str) -> str | None:
    return FORMATS.get(os.path.splitext(path)[1].lower())


def is_dataset(source: str) -> bool:
    """Is this --table read here: a Parquet/Arrow file, a folder, or a glob that matches no
    file of that very name? (A single CSV/TSV file or standard input is csvsource's.)"""
    if source == "-":
        return False
    if _format(source) in ("parquet", "ipc") or os.path.isdir(source):
        return True
    return any(ch in source for ch in "*?[") and not os.path.exists(source)


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.dataset
        import pyarrow.fs
    except ImportError:
        raise InputOutputError("reading Parquet, Arrow or a folder of files needs pyarrow, "
                               "which is not installed", EXTRA_HINT) from None
    return pyarrow, pyarrow.dataset


def _files(source: str) -> list[str]:
    """The files of a folder (not its subfolders) or a glob, in name order."""
    if os.path.isdir(source):
        names = [os.path.join(source, n) for n in os.listdir(source)]
    elif any(ch in source for ch in "*?["):
        names = glob.glob(source)
    else:
        if not os.path.exists(source):
            raise open_error(source, FileNotFoundError())
        return [source]
    files = sorted(n for n in names if os.path.isfile(n) and _format(n))
    if not files:
        raise InputOutputError(f"{source}: no .csv, .tsv, .parquet, .arrow or .feather files "
                               "there")
    kinds = {_format(f) for f in files}
    if len(kinds) > 1:
        raise UsageError(f"{source} mixes file formats ({', '.join(sorted(kinds))}); a dataset "
                         "is files of one format", "name the files with a glob: DIR/*.parquet")
    return files


class Dataset(Table):
    """Parquet, Arrow or a folder/glob of files: one table whose columns are the first file's."""

    def __init__(self, source: str, *, delimiter: str | None = None,
                 header: bool | None = None, encoding: str | None = None) -> None:
        pa, ds = _pyarrow()
        self.name, self.files = source, _files(source)
        self.kind = _format(self.files[0])
        self.size = sum(os.path.getsize(f) for f in self.files)
        self.consumed = 0
        self.usecols: list[int] | None = None  # the columns read (None: all of them)
        self.note: str | None = None
        self._format = self._file_format(ds, delimiter, header, encoding)
        self._filesystem = pa.fs.LocalFileSystem()
        try:
            schema = self._format.inspect(self.files[0], self._filesystem)
        except (pa.ArrowInvalid, OSError) as err:
            raise _unreadable(self.files[0], err) from None
        self._schema = schema
        self.header = list(schema.names)
        self.columns = len(self.header)
        self.delimiter = None

    def _file_format(self, ds, delimiter, header, encoding):
        if self.kind == "parquet":
            return ds.ParquetFileFormat()
        if self.kind == "ipc":
            return ds.IpcFileFormat()
        # CSV files: their delimiter and header as the CSV reader detects them in the first
        first = Table(self.files[0], delimiter=delimiter, header=header, encoding=encoding)
        first.close()
        import pyarrow.csv as pacsv

        names = None if first.header else [f"column {i}" for i in range(first.columns)]
        return ds.CsvFileFormat(
            parse_options=pacsv.ParseOptions(delimiter=first.delimiter or " "),
            read_options=pacsv.ReadOptions(column_names=names,
                                           encoding=codec(encoding) if encoding else "utf8"),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=False))

    def column_name(self, index: int) -> str:
        return f'"{self.header[index]}"'

    def _holds_numbers(self, column: int) -> bool:
        """Whether the column's type is a number (the schema says; no row is read)."""
        pa, _ = _pyarrow()
        return _numeric(pa, self._schema.field(column).type)

    def chunks(self, skip_bad: bool = False, after=None):
        """(array (rows, used columns), 0) per record batch, file after file (read here, so
        ``after`` is not asked: the arrays come back as they are)."""
        pa, _ = _pyarrow()
        used = self.usecols if self.usecols is not None else list(range(self.columns))
        names = [self.header[i] for i in used]
        done = 0
        for path in self.files:
            size = os.path.getsize(path)
            try:
                fragment = self._format.make_fragment(path, self._filesystem)
                self._check_schema(pa, path, fragment.physical_schema, names)
                row = 0
                for batch in fragment.to_batches(columns=names, batch_size=BATCH_ROWS,
                                                 batch_readahead=2, fragment_readahead=1):
                    array = _numbers(batch, names, path, row)
                    row += len(array)
                    self.consumed = done + size // 2  # the file's row count is not known
                    yield array, 0
            except (pa.ArrowInvalid, OSError) as err:
                raise _unreadable(path, err) from None
            done += size
            self.consumed = done

    def _check_schema(self, pa, path, schema, names) -> None:
        for name in names:
            index = schema.get_field_index(name)
            if index < 0:
                raise InvalidData(f'{path}: no column "{name}" (columns: '
                                  f"{', '.join(schema.names)})")
            kind = schema.field(index).type
            if not _numeric(pa, kind):
                raise InvalidData(f'{path}, column "{name}": holds {kind}, not numbers')

    def close(self) -> None:
        pass


def _numeric(pa, kind) -> bool:
    return (pa.types.is_integer(kind) or pa.types.is_floating(kind)
            or pa.types.is_boolean(kind) or pa.types.is_decimal(kind))


def _numbers(batch, names, path, first_row) -> np.ndarray:
    """A record batch's columns as one float64 array, refusing missing values and NaN as
    the CSV reader does."""
    pa, _ = _pyarrow()
    out = np.empty((batch.num_rows, len(names)))
    for i, name in enumerate(names):
        column = batch.column(i)
        if column.null_count:
            where = f"{path} row {first_row + column.is_null().index(True).as_py()}"
            raise InvalidData(f'{where}, column "{name}": a missing value')
        out[:, i] = float64_view(column.cast(pa.float64()))  # not to_numpy: it loads pandas
    if np.isnan(out).any():
        row, col = np.argwhere(np.isnan(out))[0]
        where = f"{path} row {first_row + int(row)}"
        raise InvalidData(f'{where}, column "{names[col]}": NaN is not allowed')
    return out


def _unreadable(path: str, err: Exception) -> InvalidData:
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return InvalidData(f"cannot read {path!r} as a table ({reason})")
