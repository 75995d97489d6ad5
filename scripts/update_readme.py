"""Refresh README.md: the loss table (between the `<!-- losses` markers) is generated from
the registry, and in the example outputs every ```console block line starting with
`$ losscalc …` is run (in-process, stdout not a terminal, 80 columns) and the lines after it,
up to the next `$ ` line or the end of the block, are replaced by what it prints (stdout, then
stderr). tests/test_readme.py fails when the README is stale.

    python scripts/update_readme.py          # rewrite README.md
    python scripts/update_readme.py --check  # exit 1 if it would change
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
TABLE = re.compile(r"(<!-- losses:[^\n]*-->\n).*?(<!-- /losses -->)", re.S)


def loss_table() -> str:
    """One row per registered loss: name, aliases, reference, options with their defaults."""
    from losscalc.registry import all_losses

    def option(p) -> str:
        name = f"`{p.option}`/`--no-{p.option[2:]}`" if p.kind == "bool" else f"`{p.option}`"
        return name if p.default is None or p.kind == "bool" else f"{name} {p.default:g}"

    rows = ["| loss | aliases | reference | parameters |", "|---|---|---|---|"]
    for spec in all_losses().values():
        params = [option(p) for p in spec.params]
        if "batchmean" in spec.reductions:
            params.append("reductions incl. `batchmean`")
        aliases = ", ".join(f"`{a}`" for a in spec.aliases)
        rows.append(f"| `{spec.name}` | {aliases} | {spec.reference} | {', '.join(params)} |")
    return "\n".join(rows) + "\n"


def run(command: str) -> str:
    """What `losscalc ARGS` prints, as the README shows it (stdout, then stderr, then $?)."""
    from losscalc.cli import main

    args = shlex.split(command)[1:]
    out, err = io.StringIO(), io.StringIO()
    os.environ["COLUMNS"] = "80"
    here = os.getcwd()
    os.chdir(README.parent)  # the examples name files relative to the project's root
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(args)
    finally:
        os.chdir(here)
    text = out.getvalue() + err.getvalue()
    return "\n".join(line.rstrip() for line in text.splitlines())


def refresh(text: str) -> str:
    def block(match: re.Match) -> str:
        out, skipping = [], False
        for line in match.group(1).splitlines():
            if line.startswith("$ "):
                out.append(line)
                skipping = line.startswith("$ losscalc")
                if skipping:
                    output = run(line[2:])
                    out += [output] if output else []
            elif not skipping:  # the output of another command, kept as written
                out.append(line)
        return "```console\n" + "\n".join(out) + "\n```"

    text = TABLE.sub(lambda m: m.group(1) + loss_table() + m.group(2), text)
    return BLOCK.sub(block, text)


def main() -> int:
    current = README.read_text()
    fresh = refresh(current)
    if "--check" in sys.argv:
        return int(fresh != current)
    README.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
