"""CSV throughput: losscalc on a large two-column CSV against pandas and polars, in one run,
with the memory of the whole process tree.

It writes a CSV of --rows rows (default 10,000,000: about 400 MB; values printed with 17
significant digits, as a notebook's export does), then runs, alternately, --runs times each:

    losscalc mse --table FILE          with losscalc[fast] (pyarrow's parser), if installed
    the same, NumPy's parser           (LOSSCALC_CSV_PARSER=numpy: as without the extra)
    the same, np.loadtxt alone         (LOSSCALC_CSV_PARSER=loadtxt: without the vectorised
                                        parser, for comparison; --no-loadtxt leaves it out)
    cat FILE | losscalc mse            (--pipe: the same through a pipe, both parsers)
    pandas read_csv + NumPy's mean     (if pandas is installed: pip install '.[bench]')
    polars read_csv + its mean         (if polars is installed)

and prints for each the median wall time, MB/s, the peak memory of its process tree (the
resident memory of the process and all its workers, summed, sampled every 20 ms from
/proc; the largest process's peak where /proc is missing), and the ratios to polars and
pandas. All values must agree to 1e-12 relative. One untimed round first reads the file into
the page cache and lets each Python write its bytecode cache (PYTHONDONTWRITEBYTECODE is
dropped from the children's environment: an installed package has its .pyc files).

    python benchmarks/csv_throughput.py [--rows N] [--runs K] [--keep FILE] [--pipe]
                                        [--no-loadtxt]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from math import nan

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


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc), 0 once it is gone."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    stack += [int(c) for c in handle.read().split()]
        except (OSError, ValueError):
            continue
    return total


CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str], stdin_from: str | None = None,
          env: dict | None = None) -> tuple[float, float, str]:
    """(seconds, peak MiB of the process tree, stdout) of one run."""
    import threading

    start = time.perf_counter()
    feeder = subprocess.Popen(["cat", stdin_from], stdout=subprocess.PIPE) if stdin_from else None
    child = subprocess.Popen(argv, stdin=feeder.stdout if feeder else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**CHILD_ENV, **(env or {})})
    if feeder:
        feeder.stdout.close()
    peak, done = [0], threading.Event()

    def sample():
        while not done.wait(0.02):
            peak[0] = max(peak[0], _tree_rss(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = child.stdout.read()
    child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if feeder:
        feeder.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed")
    # ru_maxrss is no measure of the tree, and on Linux a forked child starts with its
    # parent's peak (this script's): only where /proc is missing is it the best there is.
    tree = peak[0] if os.path.exists("/proc/self/statm") else usage.ru_maxrss * 1024
    return elapsed, tree / 2**20, out.decode().strip()


PANDAS = ("import sys, numpy as np, pandas as pd; d = pd.read_csv(sys.argv[1]); "
          "print(repr(float(np.mean((d['pred'].to_numpy() - d['target'].to_numpy()) ** 2))))")
POLARS = ("import sys, polars as pl; d = pl.read_csv(sys.argv[1]); "
          "print(repr(d.select(((pl.col('pred') - pl.col('target')) ** 2).mean()).item()))")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="write (or reuse) the CSV at this path")
    parser.add_argument("--pipe", action="store_true", help="also time cat FILE | losscalc")
    parser.add_argument("--no-loadtxt", action="store_true",
                        help="leave out the np.loadtxt-only run")
    args = parser.parse_args()

    path = args.keep or os.path.join(tempfile.mkdtemp(), "bench.csv")
    if not os.path.exists(path):
        print(f"writing {args.rows:,} rows to {path} …", file=sys.stderr)
        write_csv(path, args.rows)
    size_mb = os.path.getsize(path) / 1e6

    by_path, piped = losscalc() + ["mse", "--table", path, "-q"], losscalc() + ["mse", "-q"]
    numpy_only = {"LOSSCALC_CSV_PARSER": "numpy"}
    commands = {}
    if find_spec("pyarrow"):
        commands["losscalc[fast] --table"] = (by_path, None, None)
        if args.pipe:
            commands["losscalc[fast] from a pipe"] = (piped, path, None)
    else:
        print("pyarrow is not installed: NumPy's parser only", file=sys.stderr)
    commands["losscalc NumPy-only --table"] = (by_path, None, numpy_only)
    if not args.no_loadtxt:
        commands["losscalc np.loadtxt only --table"] = (by_path, None,
                                                      {"LOSSCALC_CSV_PARSER": "loadtxt"})
    if args.pipe:
        commands["losscalc NumPy-only from a pipe"] = (piped, path, numpy_only)
    for name, module, script in (("polars", "polars", POLARS), ("pandas", "pandas", PANDAS)):
        if find_spec(module):
            commands[f"{name} read_csv"] = ([sys.executable, "-c", script, path], None, None)
        else:
            print(f"{name} is not installed: pip install '.[bench]'", file=sys.stderr)

    for argv, stdin_from, env in commands.values():  # the untimed round
        timed(argv, stdin_from, env)
    results = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, (argv, stdin_from, env) in commands.items():
            results[name].append(timed(argv, stdin_from, env))

    values = {float(runs[0][2]) for runs in results.values()}
    spread = (max(values) - min(values)) / max(1.0, abs(min(values)))
    medians = {name: statistics.median(t for t, _, _ in runs) for name, runs in results.items()}
    polars_s, pandas_s = medians.get("polars read_csv", nan), medians.get("pandas read_csv", nan)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else nan
    print(f"{size_mb:.0f} MB, {args.rows:,} rows, median of {args.runs} alternating runs, "
          f"{os.cpu_count()} CPUs, load average {load:.1f} at the end")
    print("| command | seconds | MB/s | peak MiB (process tree) | × polars | × pandas |")
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        seconds = medians[name]
        peak = max(m for _, m, _ in runs)
        print(f"| {name} | {seconds:.2f} | {size_mb / seconds:.0f} | {peak:.0f} | "
              f"{seconds / polars_s:.2f} | {seconds / pandas_s:.2f} |")
    print(f"values agree to {spread:.1e} relative: {sorted(values)}")
    if spread > 1e-12:
        sys.exit("values disagree")


if __name__ == "__main__":
    main()
