"""The package's layers (docs/design.md, "Layers"): no import circles, imports inside functions
included, and no import that points to a later layer (a library module importing rendering or
command code). The checks are scripts/import_graph.py's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "import_graph.py"
spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
graph_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(graph_tool)


@pytest.fixture(scope="module")
def graph():
    return graph_tool.edges()


def test_every_module_has_a_layer(graph):
    for name in graph:
        graph_tool.layer(name)  # raises for a module no layer lists


def test_no_import_circles(graph):
    assert graph_tool.cycles(graph) == []


def test_no_arrow_points_back_up(graph):
    assert graph_tool.back_arrows(graph) == []


def test_the_graph_sees_imports_inside_functions(graph):
    # commands/loss.py imports the emitter only when it prints; cli.py imports commands.loss
    # only when a loss command runs.
    assert "render.emit" in graph["commands.loss"]
    assert "commands.loss" in graph["cli"]


def test_the_checks_find_what_they_look_for():
    planted = {"core": {"report"}, "report": {"core"}, "batch": {"render.emit"},
               "render.emit": {"commands.common"}, "commands.common": set()}
    assert graph_tool.cycles(planted) == [["core", "report"]]
    # a library door importing the emitter, the emitter importing a command
    assert graph_tool.back_arrows(planted) == ["batch → render.emit",
                                               "render.emit → commands.common"]
    planted["core"] = {"render.reports"}
    assert "core → render.reports" in graph_tool.back_arrows(planted)
