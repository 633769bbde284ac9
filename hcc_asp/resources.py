"""Where the knowledge base and the query programs live.

The KB (``kb/``) and the query programs (``queries/``) are installed inside the package as
``hcc_asp.kb`` and ``hcc_asp.queries`` (see ``pyproject.toml``) and found with
``importlib.resources``, so the command works from any directory. ``--kb DIR`` replaces the KB
folder with another copy, so a guideline author can run the tools on an edited KB.
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
    return Path(str(resources.files("hcc_asp.kb")))


def queries_dir() -> Path:
    """Return the folder of the query programs (patient space, what-if search)."""
    return Path(str(resources.files("hcc_asp.queries")))
