"""The import graph of the package: which losscalc module imports which, imports inside
functions included, and the layers they must respect (docs/design.md, "Layers").

    python scripts/import_graph.py          # cycles and back-arrows; exit 1 if any
    python scripts/import_graph.py --edges  # every module with what it imports

tests/test_layers.py runs the same checks.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "losscalc"

# Lowest first: a module may import modules of its own layer or of the layers before it.
LAYERS = [
    ["i18n", "_catalogue", "errors", "formulas", "files", "limits", "textfiles", "vectorcsv",
     "exactsum"],
    ["tape", "recorder"],
    ["names", "checks", "diagnose", "csvsource", "arrowsource", "inputs"],
    ["registry", "losses", "losses.*"],
    ["core", "activations", "info", "backprop", "report", "expectation"],
    ["batch", "grading", "comparison", "streaming", "partials", "plot", "listing", "exercise"],
    ["render", "render.*"],
    ["commands", "commands.*", "typer_compat"],
    # The Python door renders through the command modules' report builders (act, info); the
    # package's lazy names (`losscalc.compute`) are the door's.
    ["cli", "entry", "__main__", "library", "losscalc"],
]


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (without the leading ``losscalc.``)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts) or "losscalc"] = path
    return out


def edges() -> dict[str, set[str]]:
    """module → the package's modules it imports (at the top or inside functions)."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".") if package and package != "losscalc" else []
                    base = base[:len(base) - node.level + 1]
                    stem = ".".join(base + ([node.module] if node.module else []))
                elif (node.module or "").startswith("losscalc"):
                    stem = node.module.removeprefix("losscalc").lstrip(".")
                else:
                    continue
                for alias in node.names:
                    sub = f"{stem}.{alias.name}" if stem else alias.name
                    found.add(sub if sub in known else (stem or "losscalc"))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("losscalc"):
                        found.add(alias.name.removeprefix("losscalc").lstrip(".") or "losscalc")
        graph[name] = {m for m in found if m in known and m != name}
    return graph


def layer(name: str) -> int:
    for index, members in enumerate(LAYERS):
        for member in members:
            if name == member or (member.endswith(".*") and name.startswith(member[:-1])):
                return index
    raise KeyError(f"{name} is in no layer: add it to LAYERS in scripts/import_graph.py")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def back_arrows(graph: dict[str, set[str]]) -> list[str]:
    """Imports that point to a later layer than the importer's."""
    return [f"{a} → {b}" for a in sorted(graph) for b in sorted(graph[a]) if layer(b) > layer(a)]


def main(argv: list[str]) -> int:
    graph = edges()
    if "--edges" in argv:
        for name in sorted(graph):
            print(f"{name} → {', '.join(sorted(graph[name])) or '—'}")
    problems = [f"circle: {' ⇄ '.join(c)}" for c in cycles(graph)]
    problems += [f"back-arrow: {arrow}" for arrow in back_arrows(graph)]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
