"""Start-up benchmark: a one-shot losscalc call against `python -c "import numpy"`.

A one-shot call is mostly import time (docs/design.md, "Start-up"), so this measures whole
processes: wall time by time.perf_counter around subprocess.run, stdout and stderr piped (so
losscalc prints plain output). The two commands run alternately, so drift in the machine's load
hits both alike, and both use this interpreter (sys.executable): losscalc as the console script
beside it if there is one, else `sys.executable -m losscalc`. It prints the median of each and
their ratio; the target is a ratio <= 1.5.

The environment is passed on untouched: OPENBLAS_CORETYPE may be set on this machine (it
changes how long NumPy's OpenBLAS takes to load) and is left as is, so both sides see the same.
So is PYTHONDONTWRITEBYTECODE: with it set, an editable install has no bytecode for losscalc and
compiles it on every run (~15 ms); `python -m compileall losscalc` first to time what an
installed wheel does.

    python benchmarks/startup.py                     # mse -p 1,2,3 -t 1,2,5, 20 runs each
    python benchmarks/startup.py --runs 50 --command "bce -p 0.2,0.9 -t 0,1"
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time

DEFAULT_COMMAND = "mse -p 1,2,3 -t 1,2,5"
TARGET = 1.5


def losscalc_argv() -> list[str]:
    """The console script next to this interpreter, else `python -m losscalc`."""
    script = os.path.join(os.path.dirname(sys.executable), "losscalc")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "losscalc"]


def wall_time(argv: list[str]) -> float:
    """Seconds for one whole process; a failing command stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{shlex.join(argv)} exited {done.returncode}:\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (20)")
    parser.add_argument("--command", default=DEFAULT_COMMAND,
                        help=f"losscalc arguments to time (default: {DEFAULT_COMMAND!r})")
    args = parser.parse_args()

    cli = losscalc_argv() + shlex.split(args.command)
    numpy = [sys.executable, "-c", "import numpy"]
    wall_time(cli), wall_time(numpy)  # warm the file cache; not counted
    times: dict[str, list[float]] = {"cli": [], "numpy": []}
    for _ in range(args.runs):
        times["cli"].append(wall_time(cli))
        times["numpy"].append(wall_time(numpy))

    cli_ms, numpy_ms = (statistics.median(times[k]) * 1000 for k in ("cli", "numpy"))
    ratio = cli_ms / numpy_ms
    print(f"losscalc {args.command}: {cli_ms:7.1f} ms  (median of {args.runs})")
    print(f"python -c 'import numpy': {numpy_ms:7.1f} ms")
    print(f"ratio: {ratio:.2f} (target <= {TARGET}) {'ok' if ratio <= TARGET else 'OVER'}")


if __name__ == "__main__":
    main()
