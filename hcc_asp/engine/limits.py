"""Bounded work: a CPU-time and a memory limit around one command's grounding and solving.

An edited knowledge base can make clingo ground without end (``p(1..100000000).``, a runaway
recursion). The command line runs every KB-reading command inside :func:`bounded`:

* **time**: a watchdog thread measures the CPU time the command has used (clingo releases the GIL
  while it grounds and solves, so the watchdog runs meanwhile). Past the limit it prints the one
  line ``error: the knowledge base took too long (...)`` and ends the process with exit code 2.
  Grounding cannot be interrupted from inside clingo, hence the process exit; output is written
  only after the work is done (:func:`finish` stops the watchdog first), so stdout is never
  half-printed. CPU time, not wall time, so a busy machine does not trip it.
* **memory**: the address-space limit (``RLIMIT_AS``) of the process is lowered for the command
  and restored afterwards; clingo then fails with ``MemoryError`` (``bad_alloc``), which the
  command line reports as ``error: the knowledge base took too much memory (...)``, exit 2.

The library functions themselves are not limited: a caller embedding them bounds them its own way.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Default CPU-time limit of one command, in seconds (`check` of every guideline needs ~10).
DEFAULT_SECONDS = 30.0
#: Default address-space limit of one command, in MiB (a command needs well under 500).
DEFAULT_MEMORY_MIB = 3072


class LimitExceededError(Exception):
    """The knowledge base took more time or memory than the limit (reported as one line)."""


def too_long(seconds: float) -> str:
    """The one-line message for an exceeded time limit."""
    return (
        f"the knowledge base took too long (more than {seconds:g} s of CPU time; see --time-limit)"
    )


def too_much_memory(mib: int) -> str:
    """The one-line message for an exceeded memory limit."""
    return f"the knowledge base took too much memory (more than {mib} MiB; see --memory-limit)"


class _Watchdog(threading.Thread):
    """Ends the process with one line once the command has used ``seconds`` of CPU time."""

    def __init__(self, seconds: float, say: bool = True) -> None:
        super().__init__(name="hcc-asp-time-limit", daemon=True)
        self.seconds = seconds
        self.say = say
        self.start_cpu = time.process_time()
        self.lock = threading.Lock()
        self.finished = threading.Event()

    def run(self) -> None:
        while not self.finished.wait(0.05):
            if time.process_time() - self.start_cpu > self.seconds:
                with self.lock:
                    if self.finished.is_set():
                        return
                    if self.say:
                        sys.stderr.write(f"error: {too_long(self.seconds)}\n")
                        sys.stderr.flush()
                    os._exit(2)

    def finish(self) -> None:
        with self.lock:
            self.finished.set()


_current: list[_Watchdog] = []


def finish() -> None:
    """Stop the running time limit (the work is done; what follows is output)."""
    while _current:
        _current.pop().finish()


@contextmanager
def bounded(seconds: float, memory_mib: int) -> Iterator[None]:
    """Run the body under a CPU-time limit and an address-space limit (restored afterwards).

    Raises :class:`LimitExceededError` when memory runs out inside the body.
    """
    watchdog = _Watchdog(seconds)
    previous = _lower_memory_limit(memory_mib)
    _current.append(watchdog)
    watchdog.start()
    try:
        yield
    except MemoryError:
        _restore_memory_limit(previous)
        raise LimitExceededError(too_much_memory(memory_mib)) from None
    finally:
        watchdog.finish()
        if watchdog in _current:
            _current.remove(watchdog)
        _restore_memory_limit(previous)


@contextmanager
def cpu_budget(seconds: float, say: bool = True) -> Iterator[None]:
    """Bound one piece of work in this process (a task of an audit) to ``seconds`` of CPU time.

    Past it the process ends with exit code 2, as under :func:`bounded` (grounding cannot be
    interrupted from inside clingo); ``say`` False leaves the one line to a parent process that
    sees its worker end (an audit's process pool).
    """
    watchdog = _Watchdog(seconds, say)
    watchdog.start()
    try:
        yield
    finally:
        watchdog.finish()


def _lower_memory_limit(mib: int) -> tuple[int, int] | None:
    """Set the soft RLIMIT_AS to ``mib`` (never above the hard limit); return the old limits."""
    try:
        import resource
    except ImportError:  # not POSIX: no address-space limit
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = mib * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        wanted = soft  # an outer, stricter limit stays
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    return soft, hard


def _restore_memory_limit(previous: tuple[int, int] | None) -> None:
    if previous is None:
        return
    import resource

    resource.setrlimit(resource.RLIMIT_AS, previous)
