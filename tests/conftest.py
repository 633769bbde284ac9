"""Shared fixtures: real patient files, the real KB, the real clingo (no mocks)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session", autouse=True)
def _private_kb_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One fresh per-KB disk cache for the session (and its CLI subprocesses), not ~/.cache."""
    os.environ["HCC_ASP_CACHE_DIR"] = str(tmp_path_factory.mktemp("kb-cache"))
    os.environ.pop("HCC_ASP_NO_CACHE", None)


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


def patient_from(text: str, name: str = "case"):
    """Parse a patient file given as text (the same path as the CLI)."""
    from hcc_asp.patient import parse_patient

    return parse_patient(text, default_id=name)
