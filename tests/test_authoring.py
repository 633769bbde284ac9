"""What a guideline author relies on: documented predicates, the authoring guide, its walk-through.

The walk-through of kb/README.md is run as written: the KB is copied, the demo edition is taken
from the guide's own code block, registered in the copy's root file, and every command is run on
it through the CLI (`--kb`). Real clingo on the real KB throughout.
"""

from __future__ import annotations

import json
import re
import shutil
from functools import lru_cache
from pathlib import Path

from click.testing import CliRunner
from test_golden import CASES, golden_document, read_expected

from hcc_asp.cli import main
from hcc_asp.knowledge import open_kb, shipped
from hcc_asp.knowledge.docs import generated_section, read, reference_markdown, undocumented
from hcc_asp.knowledge.folders import ROOT_FILE

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "kb" / "README.md"
TEMPLATE = ROOT / "kb" / "guidelines" / "TEMPLATE.lp.example"
PATIENT = str(ROOT / "examples" / "first-line-complete.yaml")
DEMO_FILE = "guidelines/demo-2026.lp"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def guide_block(title: str) -> str:
    """The fenced code block of kb/README.md whose info string names the file."""
    match = re.search(rf"```\w+ title={re.escape(title)}\n(.*?)```", GUIDE.read_text(), re.S)
    assert match, f"kb/README.md has no code block titled {title}"
    return match.group(1)


def kb_copy(tmp_path: Path, files: dict[str, str], only: tuple[str, ...] = ()) -> Path:
    """A copy of the KB with new edition files registered in its root file, as the guide says.

    ``only`` keeps just those shipped editions (a smaller KB for the slower checks).
    """
    copy = tmp_path / "kb"
    shutil.copytree(shipped().folder, copy)
    root = copy / ROOT_FILE
    lines = root.read_text().splitlines(keepends=True)
    if only:
        lines = [
            line
            for line in lines
            if not line.startswith('#include "guidelines/')
            or "not-encoded" in line
            or any(f'"guidelines/{g}.lp"' in line for g in only)
        ]
    text = "".join(lines)
    for path in (copy / "guidelines").glob("*.lp"):
        if f'"guidelines/{path.name}"' not in text:
            path.unlink()  # an edition left out of the copy, not an unregistered file
    for name, content in files.items():
        (copy / name).write_text(content)
        last = '#include "guidelines/not-encoded.lp".\n'
        text = text.replace(last, f'#include "{name}".\n' + last)
    root.write_text(text)
    return copy


# the KB documents itself -----------------------------------------------------------------------


def test_every_predicate_used_in_the_kb_has_a_doc_block():
    missing = undocumented(read(shipped()))
    assert not missing, "predicates without a %*! block: " + ", ".join(
        f"{name}/{arity} (used in {', '.join(sorted(files))})"
        for (name, arity), files in missing.items()
    )


def test_every_catalogue_predicate_says_whether_an_edition_must_write_it():
    docs = read(shipped()).predicates()
    for signature in [
        ("guideline", 4),
        ("guideline_citation", 2),
        ("guideline_doi", 2),
        ("guideline_grading", 2),
        ("guideline_grading_key", 2),
        ("guideline_supersedes", 2),
        ("guideline_draft", 2),
        ("evidence", 4),
        ("evidence_label", 3),
        ("trial", 3),
        ("trial_for", 4),
        ("rec", 3),
        ("rec_text", 3),
        ("rec_source", 3),
        ("provenance_note", 3),
        ("unconfirmed", 4),
        ("requires", 3),
        ("excludes", 3),
        ("note", 2),
        ("note_text", 2),
    ]:
        use = docs[signature].fields.get("Use", "")
        assert use.startswith(("required", "optional")), f"{signature}: Use: {use!r}"


def test_every_condition_term_the_kb_decides_is_documented_with_its_keys():
    docs = read(shipped())
    documented = docs.conditions()
    assert set(documented) == docs.condition_terms, (
        f"undocumented: {sorted(docs.condition_terms - set(documented))}; "
        f"documented but never decided: {sorted(set(documented) - docs.condition_terms)}"
    )
    for signature, block in documented.items():
        assert block.description, signature
        if signature != ("always", 0):
            assert block.fields.get("Keys"), f"{signature}: no Keys: line"
        example = block.fields.get("Example", "")
        assert re.match(rf"{block.name}\b", example), f"{signature}: Example: {example!r}"


def test_the_reference_in_the_authoring_guide_is_what_kb_docs_prints():
    printed = run("kb-docs")
    assert printed.exit_code == 0
    assert printed.output == reference_markdown(shipped())
    assert generated_section(GUIDE.read_text()) == printed.output, (
        "kb/README.md is out of date: replace its generated section by `hcc-asp kb-docs`"
    )


# unconfirmed/4: a closed vocabulary ------------------------------------------------------------


def test_every_shipped_unconfirmed_field_is_in_the_vocabulary():
    cat = shipped().catalogue
    for (g, rec_id), rec in cat.recs.items():
        allowed = set(cat.unconfirmed_fields) | set(cat.guidelines[g].get("grading_keys", []))
        assert set(rec["unconfirmed"]) <= allowed, (g, rec_id, rec["unconfirmed"])


def test_an_unknown_unconfirmed_field_and_an_unregistered_file_are_undefined_errors(tmp_path):
    copy = kb_copy(tmp_path, {}, only=("asco-2020",))
    (copy / DEMO_FILE).write_text(guide_block("kb/guidelines/demo-2026.lp"))  # not registered
    edition = copy / "guidelines" / "asco-2020.lp"
    line = len(edition.read_text().splitlines()) + 1
    with edition.open("a") as handle:
        handle.write('unconfirmed(asco2020, "1.1", colour, "a field nobody defined").\n')
        handle.write('unconfirmed(asco2020, "1.1", trials, "a second trials remark").\n')
    result = run("check", "-g", "asco-2020", "--kb", str(copy), "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.output)["findings"]
    undefined = [f for f in findings if f["kind"] == "undefined" and "'colour'" in f["text"]]
    assert [f["severity"] for f in undefined] == ["error"]
    assert "secondary_source" in undefined[0]["text"]
    assert undefined[0]["rules"] == [f"kb/guidelines/asco-2020.lp:{line}"]
    unregistered = [f for f in findings if "is not included by kb/hcc.lp" in f["text"]]
    assert [(f["severity"], f["rules"]) for f in unregistered] == [
        ("error", ["kb/guidelines/demo-2026.lp:1"])
    ]
    # A second fact with the same field is joined to the first, not dropped.
    rec = open_kb(copy).catalogue.recs[("asco2020", "1.1")]
    assert "a second trials remark" in rec["unconfirmed"]["trials"]


# editions are read from the KB, and each recommendation is pinned by a golden case --------------


def test_every_edition_file_is_registered_and_named_after_its_id():
    program = shipped().program
    files = {Path(f).name for f in program.guideline_files.values()}
    assert files == {f"{g}.lp" for g in shipped().guideline_ids}
    root = (shipped().folder / ROOT_FILE).read_text()
    for path in sorted((shipped().folder / "guidelines").glob("*.lp")):
        assert f'#include "guidelines/{path.name}".' in root, f"{path.name} is not registered"


@lru_cache(maxsize=1)
def fired_in_golden_cases() -> set[tuple[str, str]]:
    """(guideline, recommendation) of every regimen a golden case pins as offered."""
    fired = set()
    for case in CASES:
        for expected in read_expected(case.with_suffix(".expected")):
            if expected.regimen is None or expected.status not in ("recommended", "conditional"):
                continue
            for entry in golden_document(case, expected.guideline)["regimens"]:
                if entry["regimen"] == expected.regimen and entry["status"] == expected.status:
                    fired.add((expected.guideline, entry["recommendation"]))
    return fired


def test_every_recommendation_of_every_edition_fires_in_a_golden_case():
    cat = shipped().catalogue
    recs = {(str(cat.guidelines[g]["id"]), rec_id) for g, rec_id in cat.recs}
    missing = sorted(recs - fired_in_golden_cases())
    assert not missing, (
        "recommendations no golden case shows offered (add tests/golden/<id>-<rec>-fires.yaml "
        f"and its .expected): {missing}"
    )


# the template and the walk-through -------------------------------------------------------------


def test_the_template_is_a_valid_draft_edition(tmp_path):
    copy = kb_copy(tmp_path, {"guidelines/my-2026.lp": TEMPLATE.read_text()}, only=("asco-2024",))
    rows = json.loads(run("guidelines", "--kb", str(copy), "--format", "json").output)
    mine = next(r for r in rows["guidelines"] if r["id"] == "my-2026")
    assert mine["status"] == "draft" and mine["why"]
    result = run("check", "-g", "my-2026", "--kb", str(copy), "--format", "json")
    assert result.exit_code == 0, result.output
    kinds = {f["kind"] for f in json.loads(result.output)["findings"]}
    assert "provenance" in kinds and not kinds & {"conflict", "dead_rule", "undefined"}


def test_the_guide_walk_through_adds_a_demo_edition_without_python(tmp_path):
    copy = kb_copy(tmp_path, {DEMO_FILE: guide_block("kb/guidelines/demo-2026.lp")})
    kb = ("--kb", str(copy))
    listed = run("guidelines", *kb).output
    assert re.search(r"^demo-2026 .*\n(.*\n)*?    draft: ", listed, re.M)

    text = run("recommend", PATIENT, "-g", "demo-2026", *kb)
    assert text.exit_code == 0, text.output
    assert "demo-2026 is a DRAFT edition, not for clinical use" in text.output
    as_json = run("recommend", PATIENT, "-g", "demo-2026", "--format", "json", *kb)
    document = json.loads(as_json.output)
    statuses = {e["regimen"]: (e["status"], e["recommendation"]) for e in document["regimens"]}
    assert statuses["atezolizumab_bevacizumab"] == ("recommended", "1")
    assert statuses["sorafenib"] == ("not_recommended", "2")
    assert document["notes"][0]["code"] == "draft_edition"
    # The default guideline stays the newest reviewed ASCO edition.
    assert json.loads(run("recommend", PATIENT, "--format", "json", *kb).output)["guideline"] == (
        "asco-2024"
    )

    why_not = run("why-not", PATIENT, "sorafenib", "-g", "demo-2026", *kb)
    assert why_not.exit_code == 0, why_not.output
    assert "DRAFT edition" in why_not.output.splitlines()[1]
    assert "atezolizumab + bevacizumab contraindicated or not available" in why_not.output
    explained = json.loads(
        run("explain", PATIENT, "sorafenib", "-g", "demo-2026", "--format", "json", *kb).output
    )
    assert explained["notes"][0]["code"] == "draft_edition"

    compared = json.loads(run("compare", PATIENT, "--format", "json", *kb).output)
    assert compared["drafts"] == ["demo-2026"] and "demo-2026" not in compared["current"]
    assert compared["notes"]["demo-2026"][0]["code"] == "draft_edition"
    assert not any("demo-2026" in row["explanation"] for row in compared["regimens"])
    included = json.loads(
        run("compare", PATIENT, "--format", "json", "--include-drafts", *kb).output
    )
    assert "demo-2026" in included["current"]
    assert any("not mentioned by demo-2026" in row["explanation"] for row in included["regimens"])
    assert "DRAFT editions" in run("compare", PATIENT, *kb).output

    checked = run("check", "-g", "demo-2026", *kb, "--format", "json")
    assert checked.exit_code == 0, checked.output
    findings = json.loads(checked.output)["findings"]
    assert not [f for f in findings if f["severity"] == "error"]
    assert any(f["kind"] == "provenance" and "strength unconfirmed" in f["text"] for f in findings)


def test_a_draft_edition_stays_out_of_cross_guideline_findings_unless_asked_for(tmp_path):
    demo = guide_block("kb/guidelines/demo-2026.lp")
    copy = kb_copy(tmp_path, {DEMO_FILE: demo}, only=("nccn-2021",))
    kb = ("--kb", str(copy), "--format", "json")

    def across(*extra: str) -> list[dict]:
        result = run("check", "-g", "all", *kb, *extra)
        assert result.exit_code == 0, result.output
        findings = json.loads(result.output)["findings"]
        return [f for f in findings if f["kind"] in ("disagreement", "edition_change")]

    def about_demo(finding: dict) -> bool:
        return finding["guideline"] == "demo-2026" or "demo-2026" in finding["text"]

    assert not [f for f in across() if about_demo(f)]
    assert any(about_demo(f) for f in across("--include-drafts"))
