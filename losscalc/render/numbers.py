"""Numbers as people read them in tables and explanations: --digits significant digits, a
real minus sign, ∞; arrays as nested brackets, the first rows only unless asked for all.

Only NumPy is imported, so a report can format its tables without loading the explanation.
"""

from __future__ import annotations

import numpy as np

SHOWN_SAMPLES = 3


def fmt_value(v, digits: int) -> str:
    v = float(v)
    if v == 0:
        return "0"
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.{digits}g}".replace("-", "−")


def value_line(report, digits: int) -> str | None:
    """The value a report shows above its tables (table, HTML and Markdown alike): its own
    line, else a single value, else none (many values are in the tables)."""
    if report.shown_value is not None:
        return report.shown_value(digits)
    return fmt_value(report.value, digits) if np.ndim(report.value) == 0 else None


def fmt_array(array, digits: int, full: bool = False) -> str:
    """A scalar as a number, an array as nested brackets (the first items, unless ``full``)."""
    array = np.asarray(array)
    if array.ndim == 0:
        return fmt_value(array, digits)
    rows = array if full or len(array) <= SHOWN_SAMPLES + 1 else array[:SHOWN_SAMPLES]
    parts = [fmt_array(row, digits, full) for row in rows]
    if len(rows) < len(array):
        parts.append(f"… {len(array) - len(rows)} more")
    return "[" + ", ".join(parts) + "]"
