"""The documented Python API works verbatim: the docs' Python API page and the package docstring.

Each example runs in a fresh interpreter (import order matters: the bug this guards was
``hcc_asp.recommend`` turning into the submodule once it was imported), twice in a row.
``-I`` keeps the repository folder off ``sys.path``, so the installed package is what runs (a
plain ``pip install .`` has no ``hcc_asp.kb`` in the source tree).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import hcc_asp

ROOT = Path(__file__).resolve().parent.parent


def _readme_python_examples() -> list[str]:
    text = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def _docstring_example() -> str:
    doc = hcc_asp.__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    return textwrap.dedent(block)


def _run_twice(code: str) -> subprocess.CompletedProcess[str]:
    program = f"for _round in range(2):\n{textwrap.indent(code, '    ')}\n"
    return subprocess.run(
        [sys.executable, "-I", "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_documented_python_examples_run_verbatim_twice() -> None:
    examples = _readme_python_examples()
    assert examples, "docs/python-api.md has at least one example"
    for code in examples:
        done = _run_twice(code)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[: len(lines) // 2] == lines[len(lines) // 2 :]  # same answer both times


def test_package_docstring_example_runs_verbatim_twice() -> None:
    code = _docstring_example()
    assert "recommend(patient" in code
    done = _run_twice(code)
    assert done.returncode == 0, done.stderr


def test_public_names_are_functions_after_their_submodules_are_imported() -> None:
    code = (
        "import hcc_asp.recommend, hcc_asp.explain, hcc_asp.check, hcc_asp\n"
        "from hcc_asp import check, explain, load_patient, recommend\n"
        "assert all(callable(f) for f in (check, explain, load_patient, recommend))\n"
        "assert callable(hcc_asp.recommend) and callable(hcc_asp.explain)\n"
        "assert callable(hcc_asp.check)\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
