"""The ``hcc-asp`` console script (and ``python -m hcc_asp``): the CLI as a process of its own.

A one-shot command (``recommend``, ``explain``, ``compare`` ...) allocates a few megabytes,
answers and exits. Python's cyclic garbage collector would scan the objects of every module it
imports, several times over, and once more at exit, to free almost nothing: about 7 % of a cold
``recommend``'s instructions (``benchmarks/bench.py`` measures the cold commands). So the process
starts with the collector off; the commands that run long or allocate without a bound (``serve``,
``check``, ``audit``) turn it back on as they start (``hcc_asp.cli.main``), and on the way out
every object left is frozen (``gc.freeze``) so that the interpreter's last collection has nothing
to scan. The interpreter still shuts down normally: output is flushed, ``atexit`` handlers run.

Calling :func:`hcc_asp.cli.main` from Python (a test's ``CliRunner``) leaves the collector alone.
"""

from __future__ import annotations

import gc


def run() -> None:
    """Run the command line in this process, the collector off unless the command needs it."""
    gc.disable()
    try:
        from hcc_asp.cli import main

        main()
    finally:
        gc.freeze()
