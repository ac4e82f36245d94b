"""A spead2 user's mypy run stays clean after switching to lightspead.

Real spead2 code (its Python test suite and tutorial programs, from the
pinned sdist) is type-checked twice with the same mypy: as written, against
spead2 4.5.1's stubs, and with ``spead2`` renamed to ``lightspead``,
against lightspead's. Every error lightspead's types produce must also be
produced by spead2's (the code's own sloppiness), except for the names
lightspead does not offer: ibverbs."""

import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
NOT_OFFERED = re.compile(r"ibv", re.IGNORECASE)


@pytest.fixture(scope="session")
def mypy(build_dir):
    """mypy at the version the tree is linted with."""
    bin_dir = subprocess.run([os.path.join(ROOT, "scripts", "lint-venv"), build_dir], check=True,
                             capture_output=True, text=True).stdout.strip()
    return os.path.join(bin_dir, "mypy")


@pytest.fixture(scope="session")
def spead2_tree(build_dir):
    return subprocess.run([os.path.join(HERE, "spead2_sdist"), build_dir], check=True,
                          capture_output=True, text=True).stdout.strip()


def corpus(tree):
    tests = os.path.join(tree, "tests")
    tutorial = os.path.join(tree, "examples", "tutorial")
    files = [os.path.join(tests, name) for name in sorted(os.listdir(tests))
             if name.endswith(".py") and name not in ("__init__.py", "conftest.py")]
    files += [os.path.join(tutorial, name) for name in sorted(os.listdir(tutorial))
              if re.fullmatch(r"tut_(\d+)_.*\.py", name)]
    return files


def errors(mypy, folder, package):
    """mypy's errors over the .py files in folder, with the package name
    replaced by X (so both runs compare)."""
    result = subprocess.run(
        [mypy, "--python-executable", sys.executable, "--no-incremental", "--check-untyped-defs",
         "--ignore-missing-imports", "--no-error-summary", "--cache-dir", os.devnull]
        + sorted(name for name in os.listdir(folder) if name.endswith(".py")),
        cwd=folder, capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: errors found
    return {re.sub(rf"\b{package}\b", "X", line) for line in result.stdout.splitlines() if ": error:" in line}


def test_spead2_code_type_checks_on_lightspead(mypy, spead2_tree, tmp_path):
    files = corpus(spead2_tree)
    assert len(files) >= 15
    as_spead2, as_lightspead = tmp_path / "spead2", tmp_path / "lightspead"
    as_spead2.mkdir()
    as_lightspead.mkdir()
    for path in files:
        shutil.copy(path, as_spead2)
        with open(path) as f:
            text = f.read()
        (as_lightspead / os.path.basename(path)).write_text(re.sub(r"\bspead2\b", "lightspead", text))
    baseline = errors(mypy, as_spead2, "spead2")
    ours = errors(mypy, as_lightspead, "lightspead")
    new = sorted(line for line in ours - baseline if not NOT_OFFERED.search(line))
    assert not new, "errors with lightspead's types that spead2's do not give:\n" + "\n".join(new)
