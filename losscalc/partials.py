"""Tables sharded over files or machines: a shard's exact partial sums (--partial) and their
merge (`losscalc merge`).

A streamed reduction is a sum over the rows and, for the mean, a divisor summed beside it.
Both are kept exactly (exactsum.ExactSum), so a shard's partial document holds them as float
hex terms whose exact sum they are; merging adds them and reduces once, which gives, bit for
bit, what one stream over all the rows gives — whatever the split and the order of the shards.
"""

from __future__ import annotations

import json
import math

from .errors import InvalidData, UsageError
from .exactsum import ExactSum
from .inputs import read_text
from .streaming import Streamed, divisor_of, reduced

FORMAT = "losscalc-partial/1"
SAME = ("loss", "reduction", "dtype", "params")  # what shards must share to be merged


def partial_document(streamed: Streamed) -> dict:
    """A shard's partial result: the exact sums, the rows and what was computed."""
    total, divisor = streamed.sums
    return {"format": FORMAT, "loss": streamed.loss, "reduction": streamed.reduction,
            "dtype": streamed.dtype, "params": streamed.params, "rows": streamed.rows,
            "shape": streamed.shape, "sum": total.terms(), "divisor": divisor.terms(),
            "value": streamed.value if math.isfinite(streamed.value) else repr(streamed.value)}


def read_partial(path: str) -> dict:
    text = read_text(path)  # bounded, UTF-8 or UTF-16/32 by its mark, as every file read whole
    try:
        document = json.loads(text)
        if document.get("format") != FORMAT:
            raise ValueError
        ExactSum.from_terms(document["sum"]), ExactSum.from_terms(document["divisor"])
        int(document["rows"]), document["shape"]["pred"], document["shape"]["target"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidData(f"{path}: not a partial result of losscalc --partial") from None
    return document


def merge(paths: list[str]) -> Streamed:
    """The Streamed result of the shards' partial documents added together."""
    documents = [read_partial(p) for p in paths]
    first = documents[0]
    for path, document in zip(paths[1:], documents[1:]):
        differ = [key for key in SAME if document[key] != first[key]]
        if differ:
            raise UsageError(f"{path} is a partial of {_what(document)}, {paths[0]} of "
                             f"{_what(first)}: shards of different computations do not merge")
    total, divisor, rows = ExactSum(), ExactSum(), 0
    for document in documents:
        total.merge(ExactSum.from_terms(document["sum"]))
        divisor.merge(ExactSum.from_terms(document["divisor"]))
        rows += int(document["rows"])
    value = reduced(total.value, divisor_of(first["reduction"], divisor.value, rows),
                    first["dtype"])
    shape = {name: [rows, *dims[1:]] for name, dims in first["shape"].items()}
    notes = [f"merged {len(paths)} partial result{'s' if len(paths) != 1 else ''}: "
             f"{rows:,} rows"]
    return Streamed(first["loss"], first["reduction"], first["dtype"], value, rows, shape,
                    first["params"], notes, False, (total, divisor))


def _what(document: dict) -> str:
    params = ", ".join(f"{k}={json.dumps(v)}" for k, v in document["params"].items())
    return (f"{document['loss']} ({document['reduction']}, {document['dtype']}"
            + (f", {params}" if params else "") + ")")
