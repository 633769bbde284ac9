"""Where the knowledge base and the query programs live.

The KB (``kb/``) and the query programs (``queries/``) are installed inside the package as
``hcc_asp.kb`` and ``hcc_asp.queries`` (see ``pyproject.toml``) and found with
``importlib.resources``, so the command works from any directory. ``--kb DIR`` replaces the KB
folder with another copy, so a guideline author can run the tools on an edited KB.

Run from a source checkout without an install (``python -m hcc_asp`` in the repository, or a
subprocess whose working directory is the repository, where the checkout's ``hcc_asp/`` shadows
the installed package), ``hcc_asp.kb`` does not exist as a module: the folders are then the
checkout's own ``kb/`` and ``queries/`` beside ``hcc_asp/``, which is what an install would carry.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The include-only root file of the KB: it lists the layers in order.
ROOT_FILE = "hcc.lp"


def kb_dir(override: str | Path | None = None) -> Path:
    """Return the knowledge-base folder: ``override`` when given, else the installed one."""
    if override is not None:
        return Path(override).resolve()
    return _data_folder("hcc_asp.kb", "kb")


def queries_dir() -> Path:
    """Return the folder of the query programs (patient space, what-if search)."""
    return _data_folder("hcc_asp.queries", "queries")


def _data_folder(package: str, checkout_folder: str) -> Path:
    """Return an installed data package's folder, or the source checkout's folder of that name."""
    try:
        return Path(str(resources.files(package)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / checkout_folder
