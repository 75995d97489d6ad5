"""`losscalc merge PARTIAL.json…`: the shards of a table, each read with --partial, combined
exactly as one stream over all their rows (losscalc.partials)."""

from __future__ import annotations

import typer

from .common import command
from .options import encoding_option, output_options

OPTIONS = {
    "files": (list[str], ..., typer.Argument(metavar="PARTIAL.json…", show_default=False,
                                             help="Partial results of `losscalc LOSS --table "
                                                  "SHARD --partial`.")),
    **encoding_option(),
    **{name: declaration for name, declaration in output_options().items()
       if name in ("format", "json", "expect", "tol", "digits", "no_color", "quiet")},
}

HELP = """Merge partial results: the loss over every shard's rows, exactly as one stream.

Each shard of a table (a file, a folder, the part of a dataset one machine holds) is read
with --partial, which prints its exact partial sums as JSON; merge adds them and prints the
report the whole table would give, bit for bit, whatever the split or the order of the
shards. Shards of different losses, reductions, dtypes or parameters are refused.

\b
Example:
  losscalc mse --table part-1.parquet --partial > p1.json
  losscalc mse --table part-2.parquet --partial > p2.json
  losscalc merge p1.json p2.json"""


def merge_partials(opts: dict) -> None:
    from ..partials import merge
    from ..render.emit import emit
    from ..render.reports import streamed_report

    emit(streamed_report(merge(opts["files"])), {**opts, "explain": False, "all": False})


app = command(merge_partials, OPTIONS, "merge", HELP)
