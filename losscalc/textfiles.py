"""Text files in any encoding: the one place that knows how a file's bytes become text.

Every text a command reads — a tensor's @FILE, a table, a batch or check file — is UTF-8
unless --encoding names another (gb18030 from a Chinese Excel or Notepad, cp1252, …); a file
that begins with a UTF-16 or UTF-32 byte order mark (Excel's "Unicode text") is read as that
without being asked. Bytes that do not decode are an error naming the encoding they look like.

Line by line (``lines``, for batch): each line is decoded on its own, so that one line that
does not decode is that line's error and the others are answered; the lines of UTF-16 and
UTF-32 end at a line feed of their own width.
"""

from __future__ import annotations

import codecs
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from .errors import InputOutputError, InvalidData, LosscalcError, UsageError
from .i18n import N_
from .limits import MAX_LINE_BYTES, size

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
BLOCK = 1 << 16  # bytes read at a time by ``lines``: a pipe gives what it has
# The command's --encoding, for the files it reads whole (a tensor's @FILE, a partial sum)
# deep below the command: set once by the command's runner (``files_in``).
_GIVEN: ContextVar[str | None] = ContextVar("encoding", default=None)


@contextmanager
def files_in(encoding: str | None):
    """The text files read in this block are in ``encoding`` (None: UTF-8, or as a byte order
    mark says); an unknown name is a usage error at once, whether or not a file is read."""
    token = _GIVEN.set(None if encoding is None else codec(encoding))
    try:
        yield
    finally:
        _GIVEN.reset(token)


def codec(encoding: str) -> str:
    """--encoding's codec by its canonical name (gbk → gbk, UTF8 → utf-8)."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(f"--encoding: unknown encoding {encoding!r}",
                         "for example gb18030, utf-16, cp1252, latin-1") from None


def bom_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32 when the bytes begin with its byte order mark (Excel's "Unicode
    text"); a UTF-8 one is dropped with the first line."""
    return next((encoding for bom, encoding in _BOMS if head.startswith(bom)), None)


def likely_encoding(data: bytes) -> tuple[str, str]:
    """The encoding a spreadsheet most likely wrote ``data`` in: GB18030 (GBK's superset) when
    the bytes decode as it, else Windows-1252, else Latin-1 (which decodes anything)."""
    for encoding, label in (("gb18030", "GB18030 (Excel's Chinese encoding)"),
                            ("cp1252", "Windows-1252 (Excel's Western encoding)")):
        try:
            data.decode(encoding)
            return encoding, label
        except UnicodeDecodeError:
            pass
    return "latin-1", "Latin-1"


def not_decoding(name: str, encoding: str) -> InputOutputError:
    return InputOutputError(f"{name} does not decode as {encoding}",
                            "give the file's encoding with --encoding")


def as_utf8(data: bytes, encoding: str, name: str) -> bytes:
    """Text read whole in ``encoding`` (a codec's name), as UTF-8."""
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeError:
        raise not_decoding(name, encoding) from None


def read_whole(handle, name: str, limit: int, too_large) -> str:
    """The binary stream ``handle`` read whole as text (``decode``): its first block is
    decoded before the rest is read, so that bytes that are not text are refused at once, not
    after ``limit`` bytes were read (``too_large()`` is raised past it)."""
    from .limits import read_at_most

    head = handle.read(min(BLOCK, limit + 1))
    if len(head) > limit:
        raise too_large()
    decode(head, name, partial=True)
    return decode(head + read_at_most(handle, limit - len(head), too_large), name)


def decode(data: bytes, name: str, partial: bool = False) -> str:
    """A file read whole, as text: in the command's --encoding if given (``files_in``), else
    as its byte order mark says, else UTF-8; a mark is dropped. Bytes that are not UTF-8 are
    an error whose fix names the encoding they look like. ``partial``: the data may end inside
    a character (the first block of a file)."""
    encoding = _GIVEN.get() or bom_encoding(data[:4])
    if encoding is None:
        return utf8_text(data, name, partial=partial).removeprefix("\ufeff")
    try:
        return _decoded(data, encoding, partial)
    except UnicodeError:
        raise not_decoding(name, encoding) from None


def utf8_text(data: bytes, name: str, line: int = 1, partial: bool = False) -> str:
    """``data`` (lines from ``line`` on) as UTF-8 text; bytes that are not UTF-8 are an error
    naming the line, the byte and the encoding they look like (``partial``: the last
    character may be cut off by the read)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        if partial and err.end == len(data) and err.reason == "unexpected end of data":
            return data[:err.start].decode("utf-8")
        raise utf8_error(data, err.start, name, line) from None


def utf8_error(data: bytes, at: int, name: str, line: int = 1) -> InputOutputError:
    """The error for ``data`` (lines from ``line`` on) that is not UTF-8 at byte ``at``: it
    names the line, the byte and the encoding the bytes look like; bytes with a NUL among
    them are no text at all."""
    if b"\0" in data:
        return InputOutputError(f"cannot read {name}: not a text file (not UTF-8)")
    likely, label = likely_encoding(data[:data.rfind(b"\n") + 1] or data)
    line += data.count(b"\n", 0, at)
    return InputOutputError(f"{name} is not UTF-8 (line {line}, byte 0x{data[at]:02X}); it "
                            f"looks like {label}: add --encoding {likely}")


def _decoded(data: bytes, encoding: str, partial: bool) -> str:
    text = codecs.getincrementaldecoder(encoding)().decode(data, final=not partial)
    return text.removeprefix("\ufeff")


def decode_line(raw: bytes, number: int = 0, what: str = "the line",
                encoding: str = "utf-8") -> str | LosscalcError:
    """A line (or ``what``) read as bytes, as text (a byte order mark on the first line
    dropped), or the error that answers it: for UTF-8, its fix names the encoding the bytes
    look like."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        byte, at = raw[err.start], err.start
        if encoding != "utf-8":
            return InvalidData(f"{what} does not decode as {encoding} (byte 0x{byte:02X} at "
                               f"position {at})", "give the file's encoding with --encoding")
        likely, _ = likely_encoding(raw)
        return InvalidData(f"{what} is not UTF-8 text (byte 0x{byte:02X} at position {at})",
                           N_(f"save the file as UTF-8, or add --encoding {likely}"))
    return text.removeprefix("\ufeff") if number == 1 else text


def lines(handle, name: str, encoding: str | None = None) -> Iterator[str | LosscalcError]:
    """Each line of the binary stream ``handle`` as text, or the error that answers it, as the
    lines arrive (a pipe is answered line by line). The encoding is ``encoding`` (--encoding),
    else UTF-16/32 by a byte order mark, else UTF-8; a line past MAX_LINE_BYTES (/dev/zero has
    no line end) stops the run."""
    blocks, head = _blocks(handle), b""
    while len(head) < 4 and (block := next(blocks, None)) is not None:
        head += block  # enough to see a byte order mark, however the bytes trickle in
    encoding = _by_width(codec(encoding) if encoding else bom_encoding(head) or "utf-8", head)
    newline = "\n".encode(encoding)
    for number, raw in enumerate(_split(head, blocks, newline, name), 1):
        text = decode_line(raw, number, encoding=encoding)
        if text != "":  # (a file of only a byte order mark has no line)
            yield text


def _by_width(encoding: str, head: bytes) -> str:
    """UTF-16 and UTF-32 by their byte order: big-endian when the mark says so, else little
    (as Python's codecs read them without a mark): each line is decoded apart from the mark,
    so its codec must know the order."""
    marks = {"utf-16": codecs.BOM_UTF16_BE, "utf-32": codecs.BOM_UTF32_BE}
    if encoding not in marks:
        return encoding
    return f"{encoding}-{'be' if head.startswith(marks[encoding]) else 'le'}"


def _blocks(handle) -> Iterator[bytes]:
    read = getattr(handle, "read1", handle.read)
    while block := read(BLOCK):
        yield block


def _split(head: bytes, blocks: Iterator[bytes], newline: bytes, name: str) -> Iterator[bytes]:
    """The lines of the bytes ``head`` and then ``blocks``, each with its end: ``newline``
    where it starts at a multiple of its width from the line's start (a UTF-16 line feed is
    two bytes)."""
    width, buffer, count, pos, search = len(newline), bytearray(head), 0, 0, 0
    while True:
        at = buffer.find(newline, search)
        while at >= 0 and (at - pos) % width:
            at = buffer.find(newline, at + 1)
        if at >= 0:
            count += 1
            yield bytes(buffer[pos:at + width])
            pos = search = at + width
            continue
        if len(buffer) - pos > MAX_LINE_BYTES:
            raise InvalidData(f"{name} line {count + 1}: longer than {size(MAX_LINE_BYTES)}, "
                              "the longest line read", "give one problem per line")
        block = next(blocks, None)
        if block is None:
            if pos < len(buffer):
                yield bytes(buffer[pos:])
            return
        del buffer[:pos]  # the start of the next line: once a block, not once a line
        search, pos = max(0, len(buffer) - width + 1), 0
        buffer += block
