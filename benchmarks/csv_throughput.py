"""CSV throughput: losscalc on a large two-column CSV, by path and through a pipe, against
pandas (when installed), in one run.

It writes a CSV of --rows rows (default 10,000,000: about 390 MB; values printed with 17
significant digits, as a notebook's export does), then runs, alternately, --runs times each:

    losscalc mse --csv FILE            (the file read by path: workers read ranges of it)
    cat FILE | losscalc mse            (the same through a pipe)
    the same two with NumPy's parser   (only if pyarrow, the extra losscalc[fast], is
                                        installed: then the two above use pyarrow's)
    pandas read_csv + NumPy's mean     (only if pandas is installed)

and prints for each the median wall time, MB/s, the peak resident memory of its largest
process, and the ratio to pandas. All three values must agree to 1e-12 relative.

    python benchmarks/csv_throughput.py [--rows N] [--runs K] [--keep FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def write_csv(path: str, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w") as handle:
        handle.write("pred,target\n")
        for start in range(0, rows, 200_000):
            block = rng.normal(size=(min(200_000, rows - start), 2))
            handle.write("\n".join(f"{a:.17g},{b:.17g}" for a, b in block) + "\n")


def losscalc() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "losscalc")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "losscalc"]


def timed(argv: list[str], stdin_from: str | None = None,
          env: dict | None = None) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB of the largest process, stdout) of one run."""
    start = time.perf_counter()
    feeder = subprocess.Popen(["cat", stdin_from], stdout=subprocess.PIPE) if stdin_from else None
    child = subprocess.Popen(argv, stdin=feeder.stdout if feeder else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, **(env or {})})
    if feeder:
        feeder.stdout.close()
    out = child.stdout.read()
    child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if feeder:
        feeder.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed")
    return elapsed, usage.ru_maxrss / 1024, out.decode().strip()


PANDAS = ("import sys, numpy as np, pandas as pd; d = pd.read_csv(sys.argv[1]); "
          "print(repr(float(np.mean((d['pred'].to_numpy() - d['target'].to_numpy()) ** 2))))")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="write (or reuse) the CSV at this path")
    args = parser.parse_args()

    path = args.keep or os.path.join(tempfile.mkdtemp(), "bench.csv")
    if not os.path.exists(path):
        print(f"writing {args.rows:,} rows to {path} …", file=sys.stderr)
        write_csv(path, args.rows)
    size_mb = os.path.getsize(path) / 1e6

    by_path, piped = losscalc() + ["mse", "--csv", path, "-q"], losscalc() + ["mse", "-q"]
    commands = {"losscalc mse --csv FILE": (by_path, None, None),
                "cat FILE | losscalc mse": (piped, path, None)}
    try:
        import pyarrow  # noqa: F401

        numpy_only = {"LOSSCALC_CSV_PARSER": "numpy"}
        commands["  (NumPy's parser) --csv"] = (by_path, None, numpy_only)
        commands["  (NumPy's parser) cat |"] = (piped, path, numpy_only)
    except ImportError:
        print("pyarrow is not installed: NumPy's parser only", file=sys.stderr)
    try:
        import pandas  # noqa: F401

        commands["pandas read_csv + NumPy"] = ([sys.executable, "-c", PANDAS, path], None, None)
    except ImportError:
        print("pandas is not installed: no baseline", file=sys.stderr)

    results = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, (argv, stdin_from, env) in commands.items():
            results[name].append(timed(argv, stdin_from, env))

    values = {float(runs[0][2]) for runs in results.values()}
    spread = (max(values) - min(values)) / max(1.0, abs(min(values)))
    baseline = statistics.median(t for t, _, _ in results.get("pandas read_csv + NumPy",
                                                                [(float("nan"), 0, "")]))
    print(f"{size_mb:.0f} MB, {args.rows:,} rows, median of {args.runs}")
    print(f"{'command':28} {'seconds':>8} {'MB/s':>7} {'peak MiB':>9} {'× pandas':>9}")
    for name, runs in results.items():
        seconds = statistics.median(t for t, _, _ in runs)
        peak = max(m for _, m, _ in runs)
        print(f"{name:28} {seconds:8.2f} {size_mb / seconds:7.0f} {peak:9.0f} "
              f"{seconds / baseline:9.2f}")
    print(f"values agree to {spread:.1e} relative: {sorted(values)}")
    if spread > 1e-12:
        sys.exit("values disagree")


if __name__ == "__main__":
    main()
