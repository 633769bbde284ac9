"""The README and the documentation site are kept true by running them.

- Every ``console`` block of the README and of ``docs/`` is run (each ``$ `` line in bash, from
  the repository root, with ``COLUMNS=100``) and its output compared with what the block shows. A
  line ``...`` stands for any number of lines (a shortened output). Blocks of other kinds (``sh``,
  ``yaml``) are shown, not run.
- The site builds with ``mkdocs build --strict``: a broken link or a page outside the navigation
  fails the test.
- The README stays short, starts with the set-up commands that ``.ci/run`` runs, and nothing a
  user reads points outside the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))


class Example(NamedTuple):
    """One command of a console block and the output the block shows for it."""

    page: str
    line: int
    command: str
    output: list[str]


def console_examples(path: Path) -> list[Example]:
    """The ``$ `` commands of every ```console block of a Markdown file, with their outputs."""
    examples: list[Example] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    inside = False
    for number, line in enumerate(lines, 1):
        fence = line.strip()
        if not inside and fence == "```console":
            inside = True
            continue
        if inside and fence == "```":
            inside = False
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            examples.append(Example(path.relative_to(ROOT).as_posix(), number, line[2:], []))
        elif examples and examples[-1].command.endswith("\\") and not examples[-1].output:
            last = examples[-1]
            examples[-1] = last._replace(command=last.command[:-1] + line.strip())
        elif examples:
            examples[-1].output.append(line)
        else:
            raise AssertionError(f"{path}:{number}: a console block must start with '$ '")
    return examples


EXAMPLES = [example for path in [README, *PAGES] for example in console_examples(path)]


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the actual lines are the expected ones, each ``...`` line standing for any lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[start:]) for start in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


def run_example(command: str) -> list[str]:
    """Run one shown command as a reader would, from the repository root; its output lines."""
    environment = {**os.environ, "COLUMNS": "100"}
    environment.pop("HCC_ASP_NO_CACHE", None)
    bin_dir = str(Path(sys.executable).parent)  # hcc-asp of this interpreter's environment
    environment["PATH"] = bin_dir + os.pathsep + environment.get("PATH", "")
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # in the order a terminal shows them
        text=True,
        timeout=300,
        check=False,
    )
    return result.stdout.rstrip("\n").splitlines()


def test_the_docs_have_console_examples():
    pages = {example.page for example in EXAMPLES}
    assert "README.md" in pages
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.page}:{e.line}")
def test_console_example_shows_the_live_output(example: Example):
    actual = run_example(example.command)
    expected = [line.rstrip() for line in example.output]
    while expected and not expected[-1]:
        expected.pop()
    actual = [line.rstrip() for line in actual]
    assert matches(expected, actual), (
        f"{example.page}:{example.line}: `{example.command}` prints:\n" + "\n".join(actual)
    )


def test_docs_site_builds_in_strict_mode(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "patient-file" / "index.html").is_file()


def test_readme_is_short_and_starts_with_the_commands_ci_runs():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    head = "\n".join(lines[:12])
    assert "pip install '.[test]' && pytest" in head
    assert re.search(r"pip install (--quiet )?'\.\[test\]' && pytest", ci)
    first, fhir = "examples/first-line-complete.yaml", "examples/fhir/sorafenib-progression.json"
    for example in (first, fhir):
        assert f"hcc-asp recommend {example}" in head
        assert example in ci


#: Paths of the project's own contract copies outside the repository; a user cannot open them.
OUTSIDE = re.compile(r"\.\./shared|shared/(spec|clinical)|spec/(patient|cli)\.md")


def test_nothing_a_user_reads_points_outside_the_repository():
    read = [README, *PAGES, *sorted((ROOT / "kb").rglob("*.md"))]
    read += sorted((ROOT / "examples").rglob("*.md"))
    # what the package prints from its data (the FHIR mapping table, the report templates)
    read += sorted((ROOT / "hcc_asp").rglob("*.csv")) + sorted((ROOT / "hcc_asp").rglob("*.j2"))
    offending = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in read
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offending == []


def test_the_screenshot_script_writes_the_picture_the_reports_page_shows(tmp_path):
    pytest.importorskip("playwright")
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    output = tmp_path / "report-why-not.png"
    subprocess.run([sys.executable, str(DOCS / "screenshot.py"), str(output)], check=True)
    shown = DOCS / "report-why-not.png"
    assert "](report-why-not.png)" in (DOCS / "reports.md").read_text(encoding="utf-8")
    for picture in (output, shown):
        head = picture.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", head[16:24]) == (1000, 1150)


# -- the reference pages agree with the code ------------------------------------------------------


def _leaf_paths(section: type, prefix: str = "") -> list[tuple[str, object]]:
    """Every key path of the patient model with its annotation (a list of lines as ``[]``)."""
    from hcc_asp.patient.section import Section, strip_annotation

    paths: list[tuple[str, object]] = []
    for name, field in section.model_fields.items():
        key = prefix + (field.alias or name)
        inner = strip_annotation(field.annotation)
        if isinstance(inner, type) and issubclass(inner, Section):
            paths += _leaf_paths(inner, key + ".")
        elif _list_of_sections(inner):
            paths += _leaf_paths(inner.__args__[0], key + "[].")
        else:
            paths.append((key, inner))
    return paths


def _list_of_sections(annotation: object) -> bool:
    """Whether the annotation is ``list[SomeSection]`` (the prior lines)."""
    from typing import get_args, get_origin

    from hcc_asp.patient.section import Section

    args = get_args(annotation)
    return (
        get_origin(annotation) is list
        and isinstance(args[0], type)
        and issubclass(args[0], Section)
    )


def _row(page: str, key: str) -> str:
    """The table row of the page that documents ``key`` (its first cell is the key)."""
    rows = [line for line in page.splitlines() if line.startswith(f"| `{key}` |")]
    assert rows, f"docs/patient-file.md has no row for `{key}`"
    return rows[0]


def test_patient_file_page_documents_every_key_value_and_bound():
    from typing import Literal, get_args, get_origin

    from hcc_asp.patient.bounds import BOUNDS
    from hcc_asp.patient.model import Patient

    page = (DOCS / "patient-file.md").read_text(encoding="utf-8")
    paths = _leaf_paths(Patient)
    assert "prior_therapies[].regimen" in dict(paths)
    for key, annotation in paths:
        row = _row(page, key)
        literal = annotation
        if get_origin(literal) is list:
            literal = get_args(literal)[0]
        if get_origin(literal) is Literal:
            for value in get_args(literal):
                assert f"`{value}`" in row, f"{key}: value {value!r} is not documented"
        bound = BOUNDS.get(key)
        if bound is not None:
            for number in (bound.low, bound.high):
                shown = (str(number), f"{number:,}".replace(",", " "))
                assert any(text in row for text in shown), f"{key}: bound {number} missing"


def test_patient_file_page_lists_every_regimen_id_and_alias():
    from hcc_asp.knowledge import shipped

    page = (DOCS / "patient-file.md").read_text(encoding="utf-8")
    table = page.split("\n## Regimens\n", 1)[1].split("\n## ", 1)[0]
    for spelling in shipped().regimen_spellings:
        assert f"`{spelling}`" in table, f"regimen spelling {spelling!r} is not in the table"


def test_output_page_documents_every_key_of_the_json_documents():
    import json

    def document(*args: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "hcc_asp", *args, "--format", "json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout)

    page = (DOCS / "output.md").read_text(encoding="utf-8")
    recommend = document("recommend", "examples/after-sorafenib.yaml")
    explain = document("why-not", "examples/child-pugh-b.yaml", "atezo+bev")
    compare = document("compare", "examples/after-sorafenib.yaml")
    keys = set(recommend) | {key for entry in recommend["regimens"] for key in entry}
    keys |= set(recommend["derived"]) | set(explain)
    keys |= {key for node in explain["because"] for key in node}
    keys |= {key for change in explain["would_change_if"] for key in change}
    keys |= {key for s in explain["would_change_if"] for c in s["changes"] for key in c}
    keys |= set(compare) | {key for row in compare["regimens"] for key in row}
    keys |= {key for g in document("guidelines")["guidelines"] for key in g}
    keys |= {key for r in document("regimens")["regimens"] for key in r}
    undocumented = sorted(key for key in keys if f"`{key}`" not in page)
    assert undocumented == []
    for code in ("`0`", "`1`", "`2`", "`3`"):
        assert f"| {code} |" in page
