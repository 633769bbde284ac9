"""The HTML reports opened in a real headless Chromium (Debian's, installed by .ci/run).

Each page is written by the command a clinician runs, opened from disk, and checked on the
rendered DOM: the status table, an explanation that opens, no console errors, nothing fetched.
One screenshot per page kind goes to tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hcc_asp.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


def write_page(name: str, *args: str) -> Path:
    result = CliRunner().invoke(main, [*args, "--format", "html"])
    assert result.exit_code == 0, result.output
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.html"
    path.write_text(result.output, encoding="utf-8")
    return path


class Opened:
    """A page opened in the browser, with what it logged and what it asked the network for."""

    def __init__(self, browser, path: Path, width: int = 1200, height: int = 900) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console",
            lambda m: self.problems.append(m.text) if m.type in ("error", "warning") else None,
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def assert_clean(self) -> None:
        assert self.problems == [], self.problems
        assert self.requests == [self.url], "the page fetched something besides itself"


def test_recommend_page_shows_regimens_by_status_and_opens_an_explanation(browser):
    path = write_page("recommend", "recommend", str(EXAMPLES / "first-line-complete.yaml"))
    opened = Opened(browser, path)
    page = opened.page
    offered = page.locator("#status-table tbody.group-recommended tr.regimen")
    assert offered.count() == 2
    first = offered.first.inner_text()
    assert "Atezolizumab + bevacizumab" in first and "recommended" in first
    assert "Rec 1.1" in first and "strong; high-quality evidence" in first
    assert "IMbrave150" in first
    assert page.locator("#status-table tbody.group-not_recommended tr.regimen").count() == 3
    # At first line, the regimens recommended only after prior therapy are one group.
    later = page.locator("#status-table tbody.group-later_lines")
    assert later.locator("tr.regimen").count() == 6
    assert "only after prior systemic therapy" in later.locator("th[scope=rowgroup]").inner_text()
    # A regimen not offered does not wear its recommendation's grading as if it supported it.
    sorafenib = page.locator("#status-table tr.regimen[data-regimen='sorafenib']").inner_text()
    assert "strong" not in sorafenib and "does not apply: not offered" in sorafenib
    components = page.locator("#child-pugh-table tbody tr")
    assert components.count() == 5 and "0.9 mg/dL" in components.first.inner_text()
    # Every unconfirmed fact is marked; the guideline is cited with its DOI link.
    assert page.locator(".unconfirmed").count() >= 3
    assert page.locator('footer a[href="https://doi.org/10.1200/JCO.23.02745"]').count() == 1
    # A regimen's derivation is collapsed, opens on a click and shows the patient's values.
    details = page.locator("#regimen-atezolizumab_bevacizumab details.derivation")
    assert not details.evaluate("d => d.open")
    details.locator("summary").first.click()
    assert details.evaluate("d => d.open")
    assert details.locator(".patient-value").first.is_visible()
    opened.screenshot("recommend")
    opened.assert_clean()


def test_recommend_page_reads_on_a_narrow_screen_and_prints_every_explanation(browser):
    path = write_page("recommend-narrow", "recommend", str(EXAMPLES / "after-atezo-bev.yaml"))
    opened = Opened(browser, path, width=380, height=800)
    page = opened.page
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than a phone screen"
    assert page.locator("#status-table").is_visible()
    opened.screenshot("recommend-narrow")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate("[...document.querySelectorAll('details')].every(d => d.open)")
    opened.assert_clean()


def test_why_not_page_answers_first_and_draws_the_derivation(browser):
    path = write_page("why-not", "why-not", str(EXAMPLES / "child-pugh-b.yaml"), "atezo+bev")
    opened = Opened(browser, path)
    page = opened.page
    headings = page.locator("main h2").all_inner_texts()
    assert headings[:2] == ["Answer", "What would make it recommended"]
    answer = page.locator("#answer").inner_text()
    # ASCO 2024 does not encode Child-Pugh B: the badge says "not encoded", as the banner does
    assert "not encoded" in answer and "Atezolizumab + bevacizumab" in answer
    assert "not recommended" not in answer
    decisive = page.locator("#decisive").inner_text()
    assert "requires Child-Pugh class A" in decisive and "bilirubin 2.6 mg/dL" in decisive
    changes = page.locator("#changes-table tbody").inner_text()
    assert "ascites mild" in changes and "no" in changes
    tree = page.locator("#derivation")
    assert not tree.evaluate("d => d.open")
    tree.locator("summary").first.click()
    assert tree.evaluate("d => d.open")
    # A subtree used by several recommendations is shown once and linked after.
    assert page.locator("#derivation a[href^='#n']").count() >= 3
    if shutil.which("dot"):
        assert page.locator("#picture svg").count() == 1
    else:
        assert "needs Graphviz" in page.locator("#picture-missing").inner_text()
    opened.screenshot("why-not")
    opened.assert_clean()


def test_compare_page_highlights_where_current_guidelines_disagree(browser):
    path = write_page("compare", "compare", str(EXAMPLES / "first-line-complete.yaml"))
    opened = Opened(browser, path)
    page = opened.page
    headers = page.locator("#compare-table thead th").all_inner_texts()
    assert headers[0] == "Regimen" and any("ASCO 2024" in h for h in headers)
    disagreeing = page.locator("#compare-table tbody tr.disagree")
    assert disagreeing.count() >= 1
    rows = [r.split("\t")[0] for r in disagreeing.all_inner_texts()]
    assert any("Lenvatinib" in r for r in rows)
    assert "Lenvatinib" in page.locator("#disagreements").inner_text()
    opened.screenshot("compare")
    opened.assert_clean()
