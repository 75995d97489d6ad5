"""The note that suggests losscalc[fast] for a large CSV read without pyarrow: shown once,
silenced by --quiet, absent when pyarrow is there. pyarrow is hidden in a fresh interpreter
(sys.modules['pyarrow'] = None makes its import fail), and the size from which the note shows
is lowered so that a small file counts as large."""

from __future__ import annotations

import subprocess
import sys

from losscalc import streaming

PRELUDE = ("import sys\n{hide}\nimport losscalc.streaming as s\ns.NUDGE_BYTES = 100\n"
           "from losscalc.cli import main\nsys.exit(main({args!r}))\n")


def _run(tmp_path, *args, hide=True):
    path = tmp_path / "t.csv"
    path.write_text("pred,target\n" + "0.5,1\n" * 40)  # 252 bytes; MSE = 0.25
    script = PRELUDE.format(hide="sys.modules['pyarrow'] = None" if hide else "",
                            args=["mse", "--table", str(path), *args])
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout, run.stderr


def test_a_large_csv_without_pyarrow_gets_one_note(tmp_path):
    out, err = _run(tmp_path)
    assert out == "0.25\n"
    assert err.splitlines() == [
        f"note: pip install 'losscalc[fast]' reads large CSV files like this one about "
        f"{streaming.FAST_SPEEDUP:g}× faster (pyarrow's parser; measured with "
        "benchmarks/csv_throughput.py)"]


def test_quiet_silences_it_and_pyarrow_needs_none(tmp_path):
    assert _run(tmp_path, "--quiet") == ("0.25\n", "")
    assert _run(tmp_path, hide=False) == ("0.25\n", "")
