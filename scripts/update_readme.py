"""Refresh the generated parts of README.md and of the pages under docs/.

* The loss table (between the `<!-- losses` markers, in README.md) is generated from the
  registry.
* The command reference (between the `<!-- commands` markers, in docs/commands.md) holds the
  `--help` of the app, of every command that is not a loss (read from the app, so a new
  command in cli.SUBCOMMANDS appears without touching this script) and of one loss, `ce`.
* In every page (README.md, CONTRIBUTING.md, docs/*.md), every ```console block line starting
  with `$ losscalc …` is run (in-process, stdout not a terminal, 80 columns, no colour) and
  the lines after it, up to the next `$ ` line or the end of the block, are replaced by what
  it prints (stdout, then stderr).

tests/test_readme.py fails when a page is stale.

    python scripts/update_readme.py          # rewrite the pages
    python scripts/update_readme.py --check  # exit 1 if one would change (and name it)
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
COMMAND_REFERENCE = ROOT / "docs" / "commands.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
TABLE = re.compile(r"(<!-- losses:[^\n]*-->\n).*?(<!-- /losses -->)", re.S)
COMMANDS = re.compile(r"(<!-- commands:[^\n]*-->\n).*?(<!-- /commands -->)", re.S)
REPRESENTATIVE_LOSS = "ce"  # every loss's --help has the same shape: one stands for them


def loss_table() -> str:
    """One row per registered loss: name, aliases, reference, options with their defaults."""
    from losscalc.losses import all_losses

    def option(p) -> str:
        name = "/".join(f"`{flag}`" for flag in p.option.split(" / "))  # a bool: two flags
        return name if p.default is None or p.kind == "bool" else f"{name} {p.default:g}"

    rows = ["| loss | aliases | reference | parameters |", "|---|---|---|---|"]
    for spec in all_losses().values():
        # A loss of several tensors lists them first (the others take --pred and --target).
        tensors = [] if spec.single_prediction else [
            f"`{t.option}`" + ("" if t.required else " (optional)") for t in spec.tensors]
        params = tensors + [option(p) for p in spec.params]
        if "batchmean" in spec.reductions:
            params.append("reductions incl. `batchmean`")
        aliases = ", ".join(f"`{a}`" for a in spec.aliases)
        rows.append(f"| `{spec.name}` | {aliases} | {spec.reference} | {', '.join(params)} |")
    return "\n".join(rows) + "\n"


def command_names() -> list[str]:
    """Every command of the app that is not a loss (as `losscalc list` finds them: from the
    name table), then the representative loss."""
    from losscalc.listing import entries

    return [row["name"] for row in entries(("command",))] + [REPRESENTATIVE_LOSS]


def command_reference() -> str:
    """`losscalc --help`, then `losscalc COMMAND --help` for each command, as console blocks
    (their outputs are filled in by refresh(), like every other example)."""
    parts = [f"### `losscalc{' ' + name if name else ''}`\n\n```console\n"
             f"$ losscalc{' ' + name if name else ''} --help\n```\n"
             for name in ["", *command_names()]]
    return "\n".join(parts)


def run(command: str) -> str:
    """What `losscalc ARGS` prints, as the README shows it (stdout, then stderr, then $?)."""
    from losscalc.cli import main

    args = shlex.split(command)[1:]
    out, err = io.StringIO(), io.StringIO()
    saved_env, here = dict(os.environ), os.getcwd()
    # Fixed width (click wraps help at min(COLUMNS, 80)) and no colour, whatever the caller's
    # terminal: the same text everywhere.
    os.environ.pop("FORCE_COLOR", None)
    os.environ.update(COLUMNS="80", NO_COLOR="1")
    os.chdir(ROOT)  # the examples name files relative to the project's root
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(args)
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved_env)
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
    text = COMMANDS.sub(lambda m: m.group(1) + command_reference() + m.group(2), text)
    return BLOCK.sub(block, text)


def pages() -> list[Path]:
    """Every page whose examples are kept current: the README, CONTRIBUTING.md and docs/."""
    return [README, ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]


def main() -> int:
    stale = []
    for page in pages():
        if not page.exists():
            continue
        current = page.read_text()
        fresh = refresh(current)
        if fresh == current:
            continue
        stale.append(page)
        if "--check" not in sys.argv:
            page.write_text(fresh)
    for page in stale:
        print(f"{'stale' if '--check' in sys.argv else 'updated'}: {page.relative_to(ROOT)}")
    return int(bool(stale) and "--check" in sys.argv)


if __name__ == "__main__":
    sys.exit(main())
