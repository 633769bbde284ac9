"""How a command ends: its whole output on stdout, or one line per problem on stderr and exit 2.

Every command family writes through :func:`write` and fails through :func:`fail`, so that a full
disk, a closed pipe, a limit reached or a library input error all end the same way (spec/cli.md:
exit 2, nothing on stdout, each problem one line with control characters escaped).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, NoReturn

import click


def one_line(text: str) -> str:
    """One line, control characters escaped (an id with a newline cannot forge a second line)."""
    from hcc_asp.render.controls import escape_controls

    return escape_controls(str(text))


def fail(problems: list[str]) -> NoReturn:
    """Print each problem as one ``error:`` line on stderr and exit 2."""
    from hcc_asp.engine.limits import finish

    finish()
    for problem in problems:
        click.echo(f"error: {one_line(problem)}", err=True)
    sys.exit(2)


def write(text: str) -> None:
    """Write a command's whole output; a full disk or a closed pipe is one line, exit 2."""
    from hcc_asp.engine.limits import finish

    finish()
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as error:
        import os

        # nothing more can reach stdout: keep the interpreter's final flush quiet
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        reason = (error.strerror or str(error)).lower()
        fail([f"cannot write the output to stdout ({reason})"])


def run(call: Any) -> Any:
    """Run a library call, turning the library's input errors into exit code 2."""
    from hcc_asp.knowledge import KnowledgeBaseError
    from hcc_asp.recommend import InputConflictError, UnknownGuidelineError

    try:
        return call()
    except InputConflictError as error:
        fail(error.problems)
    except (UnknownGuidelineError, KnowledgeBaseError) as error:
        fail([str(error)])
