"""Consoles that are not UTF-8 (a GBK Windows console, LANG=C, Latin-1): a character the
stream cannot encode is written in a faithful form it can — `-` for −, `sum` for Σ, `d` for
∂, `sigma` for σ, `+`, `-` and `|` for box drawing — instead of ending in UnicodeEncodeError
(after half a page). One table, applied by an encoding error handler on stdout and stderr,
so every writer (plain text, rich tables, notes, errors) gets it; a UTF-8 stream is left as
it is and never imports this module.
"""

from __future__ import annotations

import codecs
import unicodedata

HANDLER = "losscalc-ascii"

ASCII_FORMS = {
    "−": "-", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-",
    "Σ": "sum", "∑": "sum", "Π": "prod", "∏": "prod", "∂": "d", "∇": "grad", "√": "sqrt",
    "ℓ": "l", "·": "*", "⋅": "*", "×": "x", "÷": "/", "≈": "~", "≠": "!=", "≤": "<=",
    "≥": ">=", "±": "+/-", "∞": "inf", "∈": " in ", "‖": "||", "→": "->", "←": "<-",
    "⇒": "=>", "…": "...", "‘": "'", "’": "'", "“": '"', "”": '"', "✓": "ok", "✗": "x",
    "ε": "eps", "ϵ": "eps", "ᵀ": "^T", "ᵢ": "_i", "ⱼ": "_j", "ₙ": "_n", "ₜ": "_t", "ₖ": "_k",
    "ᶜ": "^c", "ⁿ": "^n", "⁻": "^-", "°": " deg", "µ": "mu", "½": "1/2", "¼": "1/4",
    "\u00a0": " ",
}


def ascii_form(char: str) -> str:
    """``char`` as ASCII: the table, else box drawing by its shape, Greek letters by name,
    sub- and superscript digits, a compatibility decomposition, else '?'."""
    if char in ASCII_FORMS:
        return ASCII_FORMS[char]
    name = unicodedata.name(char, "")
    if name.startswith("BOX DRAWINGS"):
        vertical, horizontal = "VERTICAL" in name or " UP" in name or " DOWN" in name, \
            "HORIZONTAL" in name or "LEFT" in name or "RIGHT" in name
        return "+" if vertical and horizontal else "|" if vertical else "-"
    if name.startswith("GREEK"):
        letter = name.split(" LETTER ")[-1].split()[0].lower()
        return letter.capitalize() if "CAPITAL" in name else letter
    if name.startswith("SUBSCRIPT "):
        return "_" + ascii_form(unicodedata.normalize("NFKC", char))
    if name.startswith("SUPERSCRIPT "):
        return "^" + ascii_form(unicodedata.normalize("NFKC", char))
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return decomposed or "?"


def _replace(err: UnicodeEncodeError):
    text = "".join(ascii_form(c) for c in err.object[err.start:err.end])
    following = err.object[err.end:err.end + 1]
    if text[-1:].isalpha() and len(text) > 1 and following.isalnum():
        text += " "  # Σe is "sum e", not "sume"
    return text, err.end


def install(*streams) -> None:
    """Write what ``streams`` cannot encode in its ASCII form (streams that already can
    encode everything, UTF-8 or UTF-16, are left alone)."""
    try:
        codecs.lookup_error(HANDLER)
    except LookupError:
        codecs.register_error(HANDLER, _replace)
    for stream in streams:
        if needs_fallback(stream):
            stream.reconfigure(errors=HANDLER)


def needs_fallback(stream) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return bool(encoding) and not encoding.startswith("utf") and hasattr(stream, "reconfigure")
