"""The knowledge base as one value: opened once at the edge, received by everything below.

* ``base``: :class:`KnowledgeBase`, :func:`shipped` (the installed KB, memoised),
  :func:`or_shipped` (what an API call with ``kb=None`` works on) and :func:`shared` (one value
  per KB content in a pool worker);
* ``folders``: where the KB and the query programs live, and the validation of a ``--kb`` folder;
* ``cache``: the per-KB disk cache, keyed by the KB's content fingerprint;
* ``program`` and ``compiled``: the parsed KB with its explanation shadows, and the compiled text
  a one-patient question grounds (``relevance`` slices it for the what-if search);
* ``catalogue``, ``vocabulary``, ``scales``: what the KB states without a patient;
* ``solving``: the clingo primitives (a quiet Control, the KB's ``@`` functions, facts as Symbols);
* ``docs``: the KB's own predicate and condition reference (`hcc-asp kb-docs`).

Importing this package is cheap (no clingo): each part loads when the value first needs it.
"""

from __future__ import annotations

from hcc_asp.knowledge.base import (
    KnowledgeBase,
    KnowledgeBaseError,
    or_shipped,
    shared,
    shipped,
)

__all__ = ["KnowledgeBase", "KnowledgeBaseError", "open_kb", "or_shipped", "shared", "shipped"]

#: Open a KB folder (validated) as a :class:`KnowledgeBase`; ``None`` gives the shipped KB.
open_kb = KnowledgeBase.open
