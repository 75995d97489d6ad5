"""Write the shell completion scripts in completions/ from Typer's completion machinery.

    python scripts/gen_completions.py          # (re)write them
    python scripts/gen_completions.py --check  # exit 1 if a committed script is stale

The scripts only hook the shell up: the candidates (commands, options, choice values) come
from losscalc itself at completion time, so they always match the installed version.
`losscalc completions SHELL` prints the same text; pyproject.toml installs these files.
tests/test_completions.py fails when the committed files are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from losscalc.commands.completions import script

ROOT = Path(__file__).resolve().parent.parent
FILES = {"bash": "losscalc.bash", "zsh": "_losscalc", "fish": "losscalc.fish",
         "powershell": "losscalc.ps1"}


def scripts() -> dict[Path, str]:
    return {ROOT / "completions" / name: script(shell) for shell, name in FILES.items()}


def main() -> int:
    stale = [path for path, text in scripts().items()
             if not path.exists() or path.read_text() != text]
    if "--check" in sys.argv:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}")
        return int(bool(stale))
    for path, text in scripts().items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
