"""The wheel carries every package of the source tree.

``pyproject.toml`` lists the packages by hand (``kb/`` and ``queries/`` are mapped into
``hcc_asp``), so a new sub-package that is not listed installs fine in an editable install and
is missing from a regular one (``pip install .``, what CI and users run): ``hcc_asp.cli`` was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; CI runs 3.11

ROOT = Path(__file__).resolve().parent.parent


def test_every_python_package_of_the_source_tree_is_listed_for_the_wheel():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    source = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "hcc_asp").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert source - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
