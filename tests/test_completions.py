"""Shell completion: the committed scripts are current, and completing in a real bash gives
commands, options and choice values (the candidates come from the app at completion time)."""

from __future__ import annotations

import importlib.util
import os
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
])
def test_bash_completes(words, expected):
    script = (f"source {ROOT / 'completions' / 'losscalc.bash'}\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
              "_losscalc_completion losscalc\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                         timeout=60)
    assert expected <= set(run.stdout.split()), (run.stdout, run.stderr)
