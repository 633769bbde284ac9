"""Write the screenshot shown on the Reports page: the why-not page of examples/child-pugh-b.yaml.

Run from anywhere: ``python docs/screenshot.py [OUTPUT.png]`` (default: ``docs/report-why-not.png``
beside this script). It renders the page with the installed ``hcc-asp`` (``--format html``), opens
it in the distribution's headless Chromium through Playwright (never a browser of its own) at 1000
x 1150 pixels, and saves the top of the page. The tests run it, so the picture cannot fall behind
the report.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PATIENT = HERE.parent / "examples" / "child-pugh-b.yaml"
WIDTH, HEIGHT = 1000, 1150


def main(output: Path) -> None:
    """Render the why-not page and save its screenshot to ``output``."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("screenshot: Chromium is not installed (apt-get install chromium)")
    page_html = subprocess.run(
        [sys.executable, "-m", "hcc_asp", "why-not", str(PATIENT), "atezo+bev", "--format", "html"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "why-not.html"
        page_file.write_text(page_html, encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(output))
            browser.close()
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "report-why-not.png")
