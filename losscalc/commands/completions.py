"""`losscalc completions SHELL`: print the shell completion script for bash, zsh, fish or
PowerShell — the text of completions/ (scripts/gen_completions.py writes those files from
``script`` below), so an install that puts nothing in the shell's directories (pipx, uv tool,
a virtual environment) can still be hooked up, as `gh completion -s bash` does."""

from __future__ import annotations

import sys

import typer

from .common import command
from .options import choice, lang_option

SHELLS = ("bash", "zsh", "fish", "powershell")
Shell = choice("Shell", SHELLS)

OPTIONS = {
    "shell": (Shell, ..., typer.Argument(metavar="SHELL", show_default=False,
                                         help="bash, zsh, fish or powershell.")),
    **lang_option(),
}

HELP = """Print the completion script for a shell.

The script only hooks the shell up: the candidates (commands, aliases, options, choice values)
come from losscalc itself at completion time. pip installs the same scripts where the shells
look for them under its prefix (share/bash-completion/completions, share/zsh/site-functions,
share/fish/vendor_completions.d); for pipx, uv tool or a virtual environment, write them
yourself:

\b
  bash:       losscalc completions bash > ~/.local/share/bash-completion/completions/losscalc
  zsh:        losscalc completions zsh > ~/.zfunc/_losscalc
              (with fpath+=~/.zfunc before compinit in ~/.zshrc)
  fish:       losscalc completions fish > ~/.config/fish/completions/losscalc.fish
  powershell: losscalc completions powershell >> $PROFILE

\b
Or for the current session only:
  eval "$(losscalc completions bash)"
  losscalc completions fish | source"""


def script(shell: str) -> str:
    """The completion script for ``shell``, from Typer's completion machinery."""
    from ..typer_compat import completion_script

    return completion_script("losscalc", "_LOSSCALC_COMPLETE", shell).strip() + "\n"


def print_completion(opts: dict) -> None:
    sys.stdout.write(script(opts["shell"]))


app = command(print_completion, OPTIONS, "completions", HELP)
