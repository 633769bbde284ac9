"""The clinician's page (``hcc-asp serve``, ``/``) used in a real headless Chromium.

A real service on a loopback port; the distribution's Chromium (installed by .ci/run), never a
downloaded browser. Each test types or opens a patient as a clinician would and reads the answer
the service rendered; every test also holds that the page logged no error (a Content-Security-
Policy violation is one) and asked nothing of any other server. Screenshots go to
tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from service_support import running_service

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WAIT = 60_000  # ms: a shared 2-core machine answers slowly under load

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)",
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("page")
    options = ["--guideline", "asco-2024", "--guideline", "esmo-2025"]
    options += ["--feedback-file", str(workdir / "feedback.jsonl")]
    with running_service(*options, workdir=workdir) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


class Opened:
    """The page opened in the browser, with what it logged and every URL it asked for."""

    def __init__(self, browser, base: str, path: str = "/", width: int = 1400) -> None:
        self.base = base
        self.page = browser.new_page(viewport={"width": width, "height": 1000})
        self.page.set_default_timeout(WAIT)
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console",
            lambda m: self.problems.append(m.text) if m.type in ("error", "warning") else None,
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(base + path)
        self.wait_for_answer()

    # Waits are locators, not wait_for_function: the page's CSP forbids evaluating strings,
    # which Playwright's polling predicates need.
    def wait_for_answer(self) -> None:
        self.page.locator("#answer-view[aria-busy='false']").wait_for(state="attached")

    def status_of(self, regimen: str) -> str:
        row = self.page.locator(f"#status-table tr.regimen[data-regimen='{regimen}']")
        return str(row.get_attribute("data-status"))

    def wait_status(self, regimen: str, status: str) -> None:
        self.page.locator(
            f"#status-table tr.regimen[data-regimen='{regimen}'][data-status='{status}']"
        ).wait_for()

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)

    def assert_clean(self) -> None:
        assert self.problems == [], self.problems
        elsewhere = [u for u in self.requests if not u.startswith(self.base + "/")]
        assert elsewhere == [], f"the page asked another server: {elsewhere}"


def leaves(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(key path, value) of a patient file's leaves; lists and sections as they are."""
    found = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            found.extend(leaves(value, path + "."))
        else:
            found.append((path, value))
    return found


UNIT_FIELDS = {
    "labs.bilirubin_mg_dl": "labs.bilirubin",
    "labs.bilirubin_umol_l": "labs.bilirubin",
    "labs.albumin_g_dl": "labs.albumin",
    "labs.albumin_g_l": "labs.albumin",
}


def fill_patient(page, data: dict[str, Any]) -> None:
    """Type a patient file's values into the form, field by field, as a clinician would."""
    for key, value in leaves(data):
        if key in UNIT_FIELDS:
            field = UNIT_FIELDS[key]
            page.select_option(f"[data-unit-for='{field}']", key)
            page.fill(f"[data-key='{field}']", str(value))
        elif key == "prior_therapies":
            page.select_option("#prior-status", "listed" if value else "none")
            for index, line in enumerate(value):
                if index:
                    page.click("#add-prior")
                row = page.locator("#prior-list li.prior").nth(index)
                for part, item in line.items():
                    text = str(item).lower() if isinstance(item, bool) else str(item)
                    row.locator(f"[data-prior='{part}']").select_option(text)
        elif isinstance(value, list):
            for item in value:
                page.check(f"input[data-list='{key}'][value='{item}']")
        elif value == {}:
            page.check(f"input[data-section='{key}']")
        else:
            element = page.locator(f"[data-key='{key}']")
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if element.evaluate("e => e.tagName") == "SELECT":
                element.select_option(text)
            else:
                element.fill(text)


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    return data


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("first-line-complete", {"atezolizumab_bevacizumab": "recommended"}),
        ("child-pugh-b", {"atezolizumab_bevacizumab": "not_recommended"}),
        ("after-sorafenib", {"cabozantinib": "recommended", "sorafenib": "not_recommended"}),
    ],
)
def test_a_typed_example_patient_gets_the_statuses_of_its_file(service, browser, name, expected):
    opened = Opened(browser, service)
    page = opened.page
    fill_patient(page, example(name))
    for regimen, status in expected.items():
        opened.wait_status(regimen, status)
    # The same answer as the command on the file (same renderer, same words).
    command = httpx.post(
        f"{service}/page/answer", json={"patient": example(name), "guideline": "asco-2024"}
    ).json()
    opened.wait_for_answer()
    shown = page.locator("#answer-view #status-table").inner_text()
    assert "Rec " in shown
    for regimen in expected:
        assert f'data-regimen="{regimen}"' in command["html"]
    opened.screenshot(f"typed-{name}")
    opened.assert_clean()


def test_lowering_the_albumin_takes_atezolizumab_bevacizumab_off_and_says_why(service, browser):
    opened = Opened(browser, service)
    page = opened.page
    fill_patient(page, example("first-line-complete"))
    opened.wait_status("atezolizumab_bevacizumab", "recommended")
    opened.wait_for_answer()
    page.fill("[data-key='labs.albumin']", "2.5")
    opened.wait_status("atezolizumab_bevacizumab", "not_recommended")
    changed = page.locator("#changed")
    changed.locator("li[data-regimen='atezolizumab_bevacizumab']").wait_for()
    text = changed.inner_text()
    assert "What your change (Albumin) changed" in text
    # Child-Pugh B (albumin < 2.8 g/dL: 3 points, score 7) is outside what ASCO 2024 encodes:
    # the page says "not encoded", never a plain "no".
    assert "Atezolizumab + bevacizumab: recommended → not encoded" in text
    # The live status line says the answer was updated, for a screen reader.
    assert page.locator("#answer-status").get_attribute("aria-live") == "polite"
    # Changing the unit re-reads the same number in g/L: 2.5 g/L is refused by nothing, but is
    # far below the band; back to 3.8 g/dL restores the recommendation.
    page.fill("[data-key='labs.albumin']", "3.8")
    opened.wait_status("atezolizumab_bevacizumab", "recommended")
    opened.screenshot("albumin-change")
    opened.assert_clean()


def test_a_value_the_patient_model_refuses_is_worded_beside_its_field(service, browser):
    opened = Opened(browser, service)
    page = opened.page
    page.fill("[data-key='labs.inr']", "1,2")
    problem = page.locator("#f-labs-inr-problem")
    problem.wait_for(state="visible")
    assert "must be a number, got '1,2'" in problem.inner_text()
    assert page.get_attribute("#f-labs-inr", "aria-invalid") == "true"
    assert "1 problem" in page.locator("#answer-status").inner_text()
    page.fill("[data-key='labs.inr']", "1.2")
    problem.wait_for(state="hidden")
    opened.screenshot("problem-beside-field")
    opened.assert_clean()


def test_uploading_a_fhir_record_fills_the_form_and_answers_it(service, browser):
    opened = Opened(browser, service)
    page = opened.page
    page.set_input_files("#open-file", str(EXAMPLES / "fhir" / "sorafenib-progression.json"))
    status = page.locator("#open-status")
    page.locator("#open-status", has_text="FHIR record").wait_for()
    assert "sorafenib-progression.json" in status.inner_text()
    assert page.input_value("[data-key='labs.bilirubin']") != ""
    assert page.input_value("#prior-status") == "listed"
    assert page.input_value("#prior-list [data-prior='regimen']") == "sorafenib"
    # Sorafenib progression, some safety values unknown: second-line options are conditional.
    opened.wait_status("regorafenib", "conditional")
    opened.screenshot("fhir-upload")
    opened.assert_clean()


def test_why_not_opens_the_explanation_and_its_changes_lead_to_the_fields(service, browser):
    opened = Opened(browser, service)
    page = opened.page
    fill_patient(page, example("child-pugh-b"))
    opened.wait_status("atezolizumab_bevacizumab", "not_recommended")
    opened.wait_for_answer()
    page.get_by_role("button", name="Why not Atezolizumab + bevacizumab").click()
    decisive = page.locator("#answer-view #decisive")
    decisive.wait_for()
    assert "Child-Pugh class A" in decisive.inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Back to every regimen"
    go = page.locator("#answer-view #changes-table button.goto").first
    go.wait_for()
    go.click()
    focused = page.evaluate("document.activeElement.getAttribute('data-key')")
    assert focused in ("labs.albumin", "liver.ascites", "labs.bilirubin", "labs.inr")
    opened.screenshot("why-not")
    page.click("#answer-view button.back")
    opened.wait_status("atezolizumab_bevacizumab", "not_recommended")
    page.click("#show-compare")
    page.locator("#answer-view #compare-table").wait_for()
    assert "ASCO 2024" in page.locator("#answer-view #compare-table thead").inner_text()
    opened.screenshot("compare")
    opened.assert_clean()


def test_keyboard_only_a_clinician_enters_a_value_and_opens_a_why_not(service, browser):
    opened = Opened(browser, service)
    page = opened.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    # Tab to the ECOG field, choose 3 with the keyboard.
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-ecog":
            break
    else:
        pytest.fail("the ECOG field is not reachable with Tab")
    page.keyboard.press("ArrowDown")  # unknown -> 0 (closed select: arrows change the value)
    assert page.input_value("#f-ecog") == "0"
    opened.wait_for_answer()
    # Tab on to the first "Why" button of the answer and press Enter.
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('why')"):
            break
    else:
        pytest.fail("no Why button reachable with Tab")
    page.keyboard.press("Enter")
    page.locator("#answer-view #answer").wait_for()
    assert page.evaluate("document.activeElement.classList.contains('back')")
    page.keyboard.press("Enter")
    page.locator("#answer-view #status-table").wait_for()
    opened.screenshot("keyboard")
    opened.assert_clean()


def test_the_page_reads_at_390_px_and_prints_the_answer(service, browser):
    opened = Opened(browser, service, width=390)
    page = opened.page
    fill_patient(page, example("first-line-complete"))
    opened.wait_status("atezolizumab_bevacizumab", "recommended")
    opened.wait_for_answer()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than a 390 px screen"
    opened.screenshot("narrow")
    page.emulate_media(media="print")
    assert not page.locator("#download").is_visible()
    assert page.locator("#answer-view #status-table").is_visible()
    opened.screenshot("print")
    opened.assert_clean()


def test_the_cds_card_link_opens_the_page_on_the_ehr_patient(service, browser):
    resources = json.loads((EXAMPLES / "fhir" / "sorafenib-progression.json").read_text())
    bundle = [entry["resource"] for entry in resources["entry"]]
    patient = next(r for r in bundle if r["resourceType"] == "Patient")
    prefetch: dict[str, Any] = {"patient": patient}
    kinds = {
        "observations": "Observation",
        "conditions": "Condition",
        "medicationRequests": "MedicationRequest",
        "medicationStatements": "MedicationStatement",
    }
    for key, kind in kinds.items():
        entries = [{"resource": r} for r in bundle if r["resourceType"] == kind]
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    request = {
        "hook": "patient-view",
        "hookInstance": "0b7e8a52-2f0e-4c8e-9d5a-6a1f2b3c4d5e",
        "context": {"userId": "Practitioner/onc-1", "patientId": patient["id"]},
        "prefetch": prefetch,
    }
    cards = httpx.post(f"{service}/cds-services/hcc-asp-therapy", json=request, timeout=60)
    assert cards.status_code == 200, cards.text
    card = cards.json()["cards"][1]
    links = {link["label"]: link["url"] for link in card["links"]}
    url = next(u for label, u in links.items() if label.startswith("What if"))
    assert url.startswith(f"{service}/#link=") and url.endswith("&guideline=esmo-2025")
    opened = Opened(browser, service, path=url[len(service) :])
    page = opened.page
    page.locator("#open-status", has_text="EHR's card").wait_for()
    assert page.input_value("#guideline") == "esmo-2025"
    assert page.input_value("#prior-list [data-prior='regimen']") == "sorafenib"
    opened.wait_for_answer()
    page.locator("#answer-view #status-table").wait_for()
    opened.screenshot("card-link")
    opened.assert_clean()
