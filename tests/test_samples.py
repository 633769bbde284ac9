"""The samples for integrators: the cohort that `audit` assesses and the CDS Hooks request.

``examples/cohort/`` must give each concordance outcome at least once (an audit of the other
examples, which record no regimen given, is all "not assessable"); ``examples/cds-hooks/`` is the
request the documentation's curl sends, and a real service must answer it with a card.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from service_support import assert_card_shape, running_service

ROOT = Path(__file__).resolve().parent.parent
COHORT = ROOT / "examples" / "cohort"
REQUEST = ROOT / "examples" / "cds-hooks" / "patient-view.json"

#: The outcome each sample patient is there to show, under ASCO 2024 (examples/cohort/README.md).
EXPECTED = {
    "cohort-01": ("atezolizumab_bevacizumab", "concordant"),
    "cohort-02": ("regorafenib", "concordant"),
    "cohort-03": ("sorafenib", "discordant"),
    "cohort-04": ("regorafenib", "discordant"),
    "cohort-05": ("atezolizumab_bevacizumab", "not_assessable"),
    "cohort-06": (None, "not_assessable"),
}


def test_sample_cohort_is_concordant_discordant_and_not_assessable_as_its_readme_says():
    result = subprocess.run(
        [sys.executable, "-m", "hcc_asp", "audit", str(COHORT), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    seen = {
        patient["patient"]: (patient["given"], patient["guidelines"][0]["concordance"])
        for patient in document["patients"]
    }
    assert seen == EXPECTED
    readme = (COHORT / "README.md").read_text()
    for path in sorted(COHORT.glob("*.yaml")):
        assert f"`{path.name}`" in readme, f"{path.name} is not described in the cohort README"


def test_unscreened_varices_sample_is_not_assessable_for_the_missing_endoscopy():
    result = subprocess.run(
        [sys.executable, "-m", "hcc_asp", "audit", str(COHORT), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    patients = {p["patient"]: p for p in json.loads(result.stdout)["patients"]}
    assessment = patients["cohort-05"]["guidelines"][0]
    assert assessment["given_status"] == "conditional"
    assert "liver.varices.finding" in assessment["missing"]


def test_cds_hooks_sample_request_gets_a_card_from_a_real_service(tmp_path):
    request = json.loads(REQUEST.read_text())
    assert request["hook"] == "patient-view"
    with running_service(workdir=tmp_path) as base:
        discovery = httpx.get(f"{base}/cds-services", timeout=30).json()
        therapy = next(s for s in discovery["services"] if s["id"] == "hcc-asp-therapy")
        assert set(request["prefetch"]) == set(therapy["prefetch"])
        response = httpx.post(
            f"{base}/cds-services/hcc-asp-therapy",
            content=REQUEST.read_bytes(),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert len(cards) == 1
    assert_card_shape(cards[0])
    assert cards[0]["summary"].startswith("ASCO 2024")
