"""Compile gettext catalogues: each losscalc/locale/LL/LC_MESSAGES/losscalc.po into the
losscalc.mo beside it (the binary form Python's gettext.translation reads).

    python scripts/msgfmt.py            # every catalogue
    python scripts/msgfmt.py --check    # exit 1 if a .mo is not its .po compiled

Pure Python, after the format of CPython's Tools/i18n/msgfmt.py: no GNU gettext needed.
Entries marked ``#, fuzzy``, untranslated entries and obsolete ones (``#~``) are left out, as
GNU msgfmt leaves them out; the output is the same bytes for the same .po
(tests/test_i18n.py checks the shipped .mo files are current).
"""

from __future__ import annotations

import ast
import struct
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "losscalc" / "locale"


def read_po(text: str) -> list[tuple[str, str, bool]]:
    """The entries of a .po file: (msgid, msgstr, fuzzy), obsolete ones left out."""
    entries: list[tuple[str, str, bool]] = []
    msgid = msgstr = None
    fuzzy = pending_fuzzy = False
    field = None

    def close():
        nonlocal msgid, msgstr
        if msgid is not None and msgstr is not None:
            entries.append((msgid, msgstr, fuzzy))
        msgid = msgstr = None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            pending_fuzzy = True
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            close()
            fuzzy, pending_fuzzy = pending_fuzzy, False
            msgid, field, line = "", "msgid", line[6:]
        elif line.startswith("msgstr "):
            msgstr, field, line = "", "msgstr", line[7:]
        if not line.startswith('"'):
            raise ValueError(f"line {number}: cannot read {raw!r}")
        value = ast.literal_eval(line)
        if field == "msgid":
            msgid += value
        else:
            msgstr += value
    close()
    return entries


def mo_bytes(entries: list[tuple[str, str, bool]]) -> bytes:
    """The .mo file of the translated, not fuzzy entries (the header, msgid "", included)."""
    catalogue = {msgid: msgstr for msgid, msgstr, fuzzy in entries
                 if msgstr and (not fuzzy or msgid == "")}
    keys = sorted(catalogue)
    ids = b"".join(k.encode("utf-8") + b"\0" for k in keys)
    strs = b"".join(catalogue[k].encode("utf-8") + b"\0" for k in keys)
    start = 7 * 4 + len(keys) * 16  # the header, then the two tables of (length, offset)
    offsets, at = [], 0
    for k in keys:
        offsets.append((len(k.encode("utf-8")), start + at))
        at += len(k.encode("utf-8")) + 1
    start_strs = start + len(ids)
    at = 0
    for k in keys:
        length = len(catalogue[k].encode("utf-8"))
        offsets.append((length, start_strs + at))
        at += length + 1
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8,
                         0, 0)
    table = b"".join(struct.pack("ii", length, offset) for length, offset in offsets)
    return header + table + ids + strs


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/losscalc.po"))


def main(argv: list[str]) -> int:
    stale = []
    for po in catalogues():
        data = mo_bytes(read_po(po.read_text(encoding="utf-8")))
        mo = po.with_suffix(".mo")
        if "--check" in argv:
            if not mo.exists() or mo.read_bytes() != data:
                stale.append(str(mo))
        else:
            mo.write_bytes(data)
            print(f"wrote {mo.relative_to(LOCALE.parent.parent)}")
    if stale:
        print("not compiled from their .po (run python scripts/msgfmt.py):\n  "
              + "\n  ".join(stale))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
