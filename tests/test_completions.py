"""Shell completion: the committed scripts are current, and completing in a real bash gives
commands, options and choice values (the candidates come from the app at completion time)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_committed_scripts_are_current():
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_completions.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for path, text in gen.scripts().items():
        assert path.read_text() == text, "run: python scripts/gen_completions.py"


@pytest.mark.skipif(shutil.which("bash") is None or not (BIN / "losscalc").exists(),
                    reason="needs bash and the installed console script")
@pytest.mark.parametrize("words, expected", [
    (["losscalc", "c"], {"ce", "compare", "check", "cross-entropy", "crossentropyloss"}),
    (["losscalc", "mseL"], {"mseloss"}),
    (["losscalc", "sigmoid-"], {"sigmoid-cross-entropy"}),
    (["losscalc", "ce", "--red"], {"--reduction"}),
    (["losscalc", "ce", "--reduction", ""], {"mean", "sum", "none"}),
    (["losscalc", "kl", "--reduction", "b"], {"batchmean"}),
    (["losscalc", "mse", "--dtype", ""], {"float64", "float32"}),
    (["losscalc", "mse", "--format", "j"], {"json"}),
    (["losscalc", "bce-logits", "--pos"], {"--pos-weight"}),
    (["losscalc", "act", "s"], {"sigmoid", "softplus", "silu", "softmax"}),
    (["losscalc", "act", "leaky"], {"leaky-relu"}),
    (["losscalc", "info", ""], {"entropy", "cross-entropy", "kl", "js"}),
    (["losscalc", "ctc", "--"], {"--log-probs", "--input-lengths", "--zero-infinity"}),
])
def test_bash_completes(words, expected):
    script = (f"source {ROOT / 'completions' / 'losscalc.bash'}\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
              "_losscalc_completion losscalc\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                         timeout=60)
    assert expected <= set(run.stdout.split()), (run.stdout, run.stderr)


NEEDS_INSTALLED = not (BIN / "losscalc").exists()
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.skipif(shutil.which("fish") is None or NEEDS_INSTALLED,
                    reason="needs fish and the installed console script")
@pytest.mark.parametrize("line, expected", [
    ("losscalc c", {"ce", "compare", "check", "ctc", "cross-entropy"}),
    ("losscalc ce --red", {"--reduction"}),
    ("losscalc ce --reduction ", {"mean", "sum", "none"}),
    ("losscalc act ", {"sigmoid", "relu", "gelu"}),
])
def test_fish_completes(line, expected):
    script = f"source {ROOT / 'completions' / 'losscalc.fish'}; complete -C '{line}'"
    run = subprocess.run(["fish", "--no-config", "-c", script], capture_output=True, text=True,
                         env=ENV, timeout=60)
    candidates = {row.split("\t")[0] for row in run.stdout.splitlines()}
    assert expected <= candidates, (run.stdout, run.stderr)
    # Each description is one line: a wrapped one would leave its tail as a candidate.
    assert all("\t" in row or row.startswith("-") or row.strip() in candidates
               for row in run.stdout.splitlines())


# zsh completes only in an interactive shell: drive one in a pseudo-terminal (zsh/zpty), type
# the words and a Tab, and read the screen.
ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty z "zsh -f -i"
zpty -w z "PS1='%% '; PATH=$BIN:\$PATH; autoload -U compinit; compinit -u -D; \
source $SCRIPT; LISTMAX=10000; COLUMNS=200"
sleep 1
zpty -n -w z "$LINE"$'\t'
sleep 4
all=""
while zpty -r -t z chunk; do all+=$chunk; done
print -r -- "$all"
zpty -d z
"""


@pytest.mark.skipif(shutil.which("zsh") is None or NEEDS_INSTALLED,
                    reason="needs zsh and the installed console script")
@pytest.mark.parametrize("line, expected", [
    ("losscalc c", ["compare", "check", "ctc", "crossentropyloss",
                    "each problem’s"]),  # descriptions keep their apostrophes
    ("losscalc ce --red", ["losscalc ce --reduction "]),
])
def test_zsh_completes(line, expected):
    env = {**ENV, "BIN": str(BIN), "SCRIPT": str(ROOT / "completions" / "_losscalc"),
           "LINE": line}
    run = subprocess.run(["zsh", "-f", "-c", ZSH_DRIVER], capture_output=True, text=True,
                         env=env, timeout=60)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", run.stdout.replace("\r", ""))
    for text in expected:
        assert text in screen, screen[-2000:]
