"""Shared fixtures: real patient files, the real KB, the real clingo (no mocks)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


def patient_from(text: str, name: str = "case"):
    """Parse a patient file given as text (the same path as the CLI)."""
    from hcc_asp.patient import parse_patient

    return parse_patient(text, default_id=name)
