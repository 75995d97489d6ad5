"""Packaging (issue 7 item 7): the wheel holds the package, the console script, the licence and
the shell completions where each shell looks for them, and its version is the one
`losscalc --version` prints (one place: losscalc/__init__.py).

The wheel is built once, from a copy of the files the build needs (not the working tree's
build/ directory, whose stale files could slip in), with pip: without build isolation when
the installed setuptools is recent enough for pyproject.toml, otherwise in pip's isolated
environment (which needs the package index); skipped when neither can build.
"""

from __future__ import annotations

import email
import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import losscalc

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "README.md", "LICENSE", "losscalc", "completions"]
COMPLETIONS = {  # where the wheel puts each script (under the installation prefix)
    "share/bash-completion/completions/losscalc.bash": "losscalc.bash",
    "share/zsh/site-functions/_losscalc": "_losscalc",
    "share/fish/vendor_completions.d/losscalc.fish": "losscalc.fish",
    "share/losscalc/completions/losscalc.ps1": "losscalc.ps1",
}


def _setuptools_is_recent() -> bool:
    try:
        major = int(importlib.metadata.version("setuptools").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return major >= 77  # pyproject.toml's build-system.requires


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
               str(src)]
    if _setuptools_is_recent():
        command.insert(4, "--no-build-isolation")
    run = subprocess.run(command, capture_output=True, text=True, timeout=180)
    if run.returncode != 0:
        pytest.skip(f"pip could not build the wheel here: {run.stderr.strip()[-500:]}")
    (found,) = out.glob("losscalc-*.whl")
    with zipfile.ZipFile(found) as archive:
        yield archive


def _data(wheel: zipfile.ZipFile) -> dict[str, bytes]:
    """The files of the wheel's .data/data directory, by their path under the prefix."""
    prefix = f"losscalc-{losscalc.__version__}.data/data/"
    return {name[len(prefix):]: wheel.read(name) for name in wheel.namelist()
            if name.startswith(prefix)}


def test_wheel_holds_the_completions(wheel):
    data = _data(wheel)
    for path, name in COMPLETIONS.items():
        assert data.get(path) == (ROOT / "completions" / name).read_bytes(), path


def test_wheel_version_is_the_package_version(wheel, cli):
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    message = email.message_from_bytes(wheel.read(metadata))
    assert message["Name"] == "losscalc"
    assert message["Version"] == losscalc.__version__
    assert metadata == f"losscalc-{losscalc.__version__}.dist-info/METADATA"
    code, out, _ = cli("--version")
    assert code == 0 and out == f"losscalc {message['Version']}\n"


def test_wheel_has_the_package_the_script_and_the_licence(wheel):
    names = set(wheel.namelist())
    for module in ["__init__.py", "__main__.py", "cli.py", "listing.py", "library.py",
                   "py.typed", "commands/completions.py", "losses/regression.py",
                   "render/table.py", "render/html.py"]:
        assert f"losscalc/{module}" in names, module
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "losscalc = losscalc.entry:run" in wheel.read(entry_points).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any("__pycache__" in n or n.startswith(("tests/", "build/")) for n in names)


def test_python_dash_m_runs_the_cli():
    run = subprocess.run([sys.executable, "-m", "losscalc", "mse", "-p", "1,2,3", "-t", "1,2,5"],
                         capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (0, "1.3333333333333333\n", "")
    run = subprocess.run([sys.executable, "-m", "losscalc", "--version"], capture_output=True,
                         text=True, timeout=60)
    assert run.stdout == f"losscalc {losscalc.__version__}\n"


@pytest.mark.parametrize("shell, name", [("bash", "losscalc.bash"), ("zsh", "_losscalc"),
                                         ("fish", "losscalc.fish"),
                                         ("powershell", "losscalc.ps1")])
def test_completions_command_prints_the_committed_script(cli, shell, name):
    """`losscalc completions SHELL` (for pipx and uv tool installs) prints what the wheel
    installs."""
    code, out, err = cli("completions", shell)
    assert (code, err) == (0, "")
    assert out == (ROOT / "completions" / name).read_text()


def test_wheel_holds_the_message_catalogues(wheel):
    """--lang zh needs the compiled catalogue installed beside the package."""
    names = set(wheel.namelist())
    for po in (ROOT / "losscalc" / "locale").glob("*/LC_MESSAGES/losscalc.po"):
        for path in (po, po.with_suffix(".mo")):
            name = path.relative_to(ROOT).as_posix()
            assert name in names and wheel.read(name) == path.read_bytes(), name
