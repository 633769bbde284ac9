"""What the patient input may hold: its size, and each numeric key's range and units.

The size bounds (bytes, nesting depth, node count) keep an untrusted file from exhausting memory;
:data:`BOUNDS` gives every numeric key its range (a definition, or a plausibility limit that
catches a unit mix-up); the unit factors convert bilirubin and albumin between their two units.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

#: Largest patient file accepted, in bytes (a real one is a few kilobytes).
MAX_BYTES = 1024 * 1024


#: Deepest nesting of mappings and lists accepted (the schema itself needs 4).
MAX_DEPTH = 20


#: Most YAML values (scalars, mappings, lists) accepted in one file.
MAX_NODES = 10_000


class Bound(NamedTuple):
    """Allowed range of one numeric key."""

    low: int
    low_inclusive: bool
    high: int
    plausibility: bool  # True: ``high`` is a plausibility limit, not a definition


BOUNDS: dict[str, Bound] = {
    "ecog": Bound(0, True, 4, False),
    "weight_kg": Bound(0, False, 400, True),
    "tumour.liver_involvement_percent": Bound(0, True, 100, False),
    "tumour.nodules": Bound(1, True, 100, True),
    "tumour.largest_nodule_cm": Bound(0, False, 50, True),
    "labs.bilirubin_mg_dl": Bound(0, False, 60, True),
    "labs.bilirubin_umol_l": Bound(0, False, 1026, True),
    "labs.albumin_g_dl": Bound(0, False, 7, True),
    "labs.albumin_g_l": Bound(0, False, 70, True),
    "labs.inr": Bound(0, False, 15, True),
    "labs.afp_ng_ml": Bound(0, True, 10_000_000, True),
    "labs.platelets_10e9_l": Bound(0, True, 2000, True),
    "liver.child_pugh.score": Bound(5, True, 15, False),
    "liver.varices.endoscopy_months_ago": Bound(0, True, 1200, True),
    "liver.varices.bleeding_months_ago": Bound(0, True, 1200, True),
    "comorbidities.arterial_thromboembolism_months_ago": Bound(0, True, 1200, True),
    "comorbidities.major_surgery_days_ago": Bound(0, True, 1200, True),
}


BILIRUBIN_UMOL_L_PER_MG_DL = 17.1


ALBUMIN_G_L_PER_G_DL = 10


class Limits(NamedTuple):
    """The core-schema range constraints of one numeric key."""

    ge: int | None
    gt: int | None
    le: int


def limits(path: str) -> Limits:
    """Return the range constraints of the numeric key ``path`` (from BOUNDS)."""
    bound = BOUNDS[path]
    if bound.low_inclusive:
        return Limits(ge=bound.low, gt=None, le=bound.high)
    return Limits(ge=None, gt=bound.low, le=bound.high)


def bounded_lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """Yield (line number, bytes, whole) for each line of a file, holding at most MAX_BYTES.

    A line longer than :data:`MAX_BYTES` is yielded once with ``whole`` false and only its first
    ``MAX_BYTES + 1`` bytes (enough to name what it was); the rest of it is skipped unread into
    memory. Cohort files (``cohort/lines.py``) and NDJSON charts (``fhir/stream.py``) read
    through this one loop.
    """
    with path.open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(MAX_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_BYTES + 1)) and not rest.endswith(b"\n"):
                    pass
                yield number, raw, False
                continue
            yield number, raw, True
