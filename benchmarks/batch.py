"""Batch benchmark: 10,000 mixed problems through one `losscalc batch` process, against
separate `losscalc LOSS …` invocations (200 of them, timed and scaled to 10,000).

The problems come from the registry: each loss's worked example (its `example` field, the
command its --help shows) read into a problem, then cycled through with the reductions that
loss has and both dtypes, so every loss and setting appears. The separate invocations run the
same problems as command lines, one process each (subprocess, stdout piped so losscalc prints
plain values); their values are checked against the batch's answers before any figure is
printed. Target: batch ≥ 50× faster.

    python benchmarks/batch.py                  # 10,000 problems, 200 separate runs
    python benchmarks/batch.py --problems 2000 --runs 50
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from startup import losscalc_argv  # noqa: E402  (benchmarks/ is on sys.path as the script's)

from losscalc.inputs import parse_literal  # noqa: E402
from losscalc.losses import all_losses  # noqa: E402

TARGET = 50.0
DTYPES = ("float64", "float32")


def example_problem(spec) -> tuple[dict, list[str]] | None:
    """A loss's worked example as a batch problem and as command-line arguments."""
    argv = shlex.split(spec.example)[1:]  # without "losscalc"
    if not argv or argv[0] != spec.name:
        return None
    pred_options = {"-p", "--pred"} | ({f"--{spec.pred_alias}"} if spec.pred_alias else set())
    params = {p.option: p for p in spec.params}
    problem: dict = {"loss": spec.name}
    args, options = argv[1:], []
    i = 0
    while i < len(args):
        option = args[i]
        if option in params and params[option].kind == "bool":
            problem.setdefault("params", {})[params[option].name] = True
            options.append(option)
            i += 1
            continue
        if i + 1 >= len(args):
            return None
        value = args[i + 1]
        if option in pred_options:
            problem["pred"] = parse_literal(value, option).tolist()
        elif option in ("-t", "--target"):
            problem["target"] = parse_literal(value, option).tolist()
        elif option in ("-r", "--reduction"):
            i += 2
            continue  # the benchmark chooses the reduction
        elif option in params:
            p = params[option]
            problem.setdefault("params", {})[p.name] = (
                parse_literal(value, option).tolist() if p.kind == "tensor" else
                int(value) if p.kind == "int" else float(value))
        else:
            return None  # an option this reader does not know: leave the loss out
        options += [option, value]
        i += 2
    if "pred" not in problem or "target" not in problem:
        return None
    return problem, [spec.name, *options]


def make_problems(count: int) -> tuple[list[dict], list[list[str]], list[str]]:
    """``count`` problems (and their command lines), cycling through every loss, reduction
    and dtype; the losses whose example could not be read are returned by name."""
    variants, skipped = [], []
    for spec in all_losses().values():
        read = example_problem(spec)
        if read is None:
            skipped.append(spec.name)
            continue
        problem, argv = read
        for reduction, dtype in itertools.product(spec.reductions, DTYPES):
            variants.append(({**problem, "reduction": reduction, "dtype": dtype},
                             argv + ["--reduction", reduction, "--dtype", dtype]))
    problems, commands = [], []
    for n, (problem, argv) in zip(range(count), itertools.cycle(variants)):
        problems.append({"id": n, **problem})
        commands.append(argv)
    return problems, commands, skipped


def flat(value) -> list[float]:
    if isinstance(value, list):
        return [x for v in value for x in flat(v)]
    return [float(value)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=10_000, help="problems (10,000)")
    parser.add_argument("--runs", type=int, default=200,
                        help="separate invocations timed, then scaled (200)")
    args = parser.parse_args()

    problems, commands, skipped = make_problems(args.problems)
    cli = losscalc_argv()
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        handle.writelines(json.dumps(p) + "\n" for p in problems)
        path = handle.name
    try:
        start = time.perf_counter()
        done = subprocess.run(cli + ["batch", path], capture_output=True, text=True)
        batch_seconds = time.perf_counter() - start
    finally:
        os.unlink(path)
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    if done.returncode != 0 or len(answers) != len(problems):
        sys.exit(f"batch exited {done.returncode} with {len(answers)} answers:\n{done.stderr}")

    runs = min(args.runs, len(commands))
    start = time.perf_counter()
    outputs = []
    for argv in commands[:runs]:
        one = subprocess.run(cli + argv, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True)
        if one.returncode != 0:
            sys.exit(f"{shlex.join(argv)} exited {one.returncode}:\n{one.stderr}")
        outputs.append(one.stdout)
    separate_seconds = time.perf_counter() - start
    for argv, out, answer in zip(commands, outputs, answers):
        if [float(v) for v in out.split()] != flat(answer["value"]):
            sys.exit(f"{shlex.join(argv)} printed {out!r}, batch answered {answer['value']}")

    scaled = separate_seconds / runs * len(problems)
    losses = len({p["loss"] for p in problems})
    print(f"{len(problems):,} problems over {losses} losses"
          + (f" (examples not read: {', '.join(skipped)})" if skipped else ""))
    print(f"losscalc batch, one process:       {batch_seconds:8.2f} s "
          f"({batch_seconds / len(problems) * 1e3:.3f} ms a problem)")
    print(f"separate invocations ({runs} timed):  {scaled:8.2f} s scaled to {len(problems):,} "
          f"({separate_seconds / runs * 1e3:.1f} ms each)")
    ratio = scaled / batch_seconds
    print(f"speed-up: {ratio:.0f}x (target >= {TARGET:.0f}x) — "
          + ("met" if ratio >= TARGET else "NOT met"))


if __name__ == "__main__":
    main()
