"""The options several commands share (``--kb``, the limits, ``--include-drafts``, the input).

Each is a decorator, so that a command family adds an option with the same name, type and help
text everywhere; :func:`load_patient_argument` reads PATIENT as ``--input`` and ``--as-of`` say.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hcc_asp.cli.output import fail, run

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase

FORMATS = ("text", "json")
#: Formats of the answers a clinician reads (recommend, explain/why-not, compare).
ANSWER_FORMATS = (*FORMATS, "html")


def _kb_path(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | None:
    if value is None:
        return None
    if not value:
        fail(["--kb: empty path; give the knowledge-base folder"])
    return Path(value)


def kb_option(function: Any) -> Any:
    """``--kb DIR``: another copy of the knowledge-base folder."""
    return click.option(
        "--kb",
        "kb",
        type=str,
        callback=_kb_path,
        default=None,
        metavar="DIR",
        help="Use another copy of the knowledge-base folder (default: the installed kb/).",
    )(function)


def bounded(function: Callable[..., None]) -> Callable[..., None]:
    """Add --time-limit and --memory-limit, and run the command within them (engine.limits).

    The command's ``--kb`` folder (the shipped KB without it) is opened there, once: the command
    receives the :class:`~hcc_asp.knowledge.KnowledgeBase` value.
    """
    from hcc_asp.engine.limits import DEFAULT_MEMORY_MIB, DEFAULT_SECONDS

    @click.option(
        "--time-limit",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_SECONDS,
        show_default=True,
        metavar="SECONDS",
        help="CPU seconds the knowledge base may take (grounding and solving); exit 2 past it.",
    )
    @click.option(
        "--memory-limit",
        type=click.IntRange(min=64),
        default=DEFAULT_MEMORY_MIB,
        show_default=True,
        metavar="MIB",
        help="Memory (address space, MiB) the command may use; exit 2 past it.",
    )
    @functools.wraps(function)
    def wrapper(*args: Any, time_limit: float, memory_limit: int, **kwargs: Any) -> None:
        from hcc_asp.engine.limits import LimitExceededError
        from hcc_asp.engine.limits import bounded as within

        try:
            with within(time_limit, memory_limit):
                if "kb" in kwargs:
                    kwargs["kb"] = open_kb(kwargs["kb"])
                function(*args, **kwargs)
        except LimitExceededError as error:
            fail([str(error)])

    return wrapper


def open_kb(kb: Path | None) -> KnowledgeBase:
    """Open the ``--kb`` folder (the shipped KB when None) for this command; exit 2 if unusable."""
    from hcc_asp.knowledge import KnowledgeBase

    return run(lambda: KnowledgeBase.open(kb))


def drafts_option(function: Any) -> Any:
    """``--include-drafts``: draft editions take part in the findings across guidelines."""
    return click.option(
        "--include-drafts",
        is_flag=True,
        default=False,
        help="Count draft editions (guideline_draft/2) in disagreements and edition changes.",
    )(function)


INPUT_HELP = (
    "What PATIENT is: auto (detect: FHIR when it is a directory or JSON with a resourceType), "
    "file (a patient file) or fhir (FHIR R4 Bundle, resource, NDJSON or directory)."
)
MEDS_HELP = (
    "FHIR input: the record's medication list is complete, so that no record of a systemic "
    "drug means no prior systemic therapy (first line). Without it a record without one leaves "
    "the line of therapy unknown: FHIR cannot say that a drug was never given."
)
AS_OF_HELP = (
    "FHIR input: the date the answer is for (default today). Later records are ignored; values "
    "more than 30 days older are reported as stale."
)


def medications_option(function: Any) -> Any:
    """``--medications-complete`` (README, "FHIR input": how a record says no prior therapy)."""
    return click.option(
        "--medications-complete", "medications_complete", is_flag=True, help=MEDS_HELP
    )(function)


def input_options(function: Any) -> Any:
    """``--input``, ``--as-of`` and ``--medications-complete`` for every command taking PATIENT."""
    function = medications_option(function)
    function = click.option(
        "--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help=AS_OF_HELP
    )(function)
    return click.option(
        "--input",
        "input_format",
        type=click.Choice(("auto", "file", "fhir")),
        default="auto",
        show_default=True,
        help=INPUT_HELP,
    )(function)


def load_patient_argument(
    patient: str, kb: KnowledgeBase, options: dict[str, Any] | None = None
) -> Any:
    """Read PATIENT (a patient file or FHIR, see :func:`input_options`); exit 2 on bad input."""
    from hcc_asp.patient import PatientError, read_patient

    options = options or {}
    as_of = options.get("as_of")
    aliases = run(lambda: kb.aliases)
    try:
        return read_patient(
            patient,
            stdin=sys.stdin,
            aliases=aliases,
            input_format=options.get("input_format") or "auto",
            as_of=as_of.date() if as_of is not None else None,
            medications_complete=bool(options.get("medications_complete")),
        )
    except PatientError as error:
        fail(error.problems)
