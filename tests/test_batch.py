"""The batch engine gives every patient exactly the document the one-patient path gives.

Compared live (never against frozen outputs), so a change of the KB's clinical rules is covered:
every golden case and every example, solved together in chunked Controls under several guidelines
at once, must print byte for byte what `recommend` prints for it alone.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from hcc_asp.engine.batch import answers_many, rewrite
from hcc_asp.engine.decode import decode
from hcc_asp.knowledge import KnowledgeBaseError, shipped
from hcc_asp.knowledge.program import guideline_statements
from hcc_asp.patient import load_patient, patient_from_data
from hcc_asp.recommend import (
    InputConflictError,
    recommend,
    recommend_document,
    resolve_guideline,
)
from hcc_asp.recommend_many import documents_many, recommend_many
from hcc_asp.render import to_json

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    *sorted((ROOT / "tests" / "golden").glob("*.yaml")),
    *sorted((ROOT / "examples").glob("*.yaml")),
    *sorted((ROOT / "tests" / "patients" / "valid").glob("*.*")),
]


def _pinned_guidelines(path: Path) -> list[str]:
    """The guidelines a golden case pins (its .expected), else the newest ASCO edition and BCLC."""
    expected = path.with_suffix(".expected")
    if expected.exists():
        words = (line.split() for line in expected.read_text().splitlines())
        return sorted({w[0] for w in words if w and not w[0].startswith("#")})
    return ["asco-2024", "bclc-2022"]


def test_every_golden_case_and_example_gets_the_one_patient_document_byte_for_byte() -> None:
    patients = [load_patient(str(path)) for path in FILES]
    # Each case under the first guideline it pins (the one-patient path is the slow side here).
    pinned = [_pinned_guidelines(path)[:1] for path in FILES]
    compared = 0
    for guideline in sorted(set().union(*pinned)):
        atom = resolve_guideline(guideline, shipped())
        cases = [
            (f, p) for f, p, gs in zip(FILES, patients, pinned, strict=True) if guideline in gs
        ]
        # Small chunks, so that several Controls are exercised; the documents are built from the
        # batch answers exactly as documents_many builds them.
        answers = list(answers_many([p for _, p in cases], [atom], shipped(), chunk_size=16))
        assert len(answers) == len(cases)
        for (path, patient), answer in zip(cases, answers, strict=True):
            batched = to_json(
                recommend_document(patient, decode(answer, shipped()), atom, shipped())
            )
            assert batched == to_json(recommend(patient, guideline)), f"{path.name}, {guideline}"
            compared += 1
    assert compared == len(FILES)


def test_documents_many_gives_each_guideline_its_own_document() -> None:
    patients = [load_patient(str(ROOT / "examples" / "after-sorafenib.yaml"))]
    every = shipped().guideline_ids
    [documents] = documents_many(patients, every, shipped())
    assert isinstance(documents, dict) and list(documents) == every
    for guideline in ("asco-2020", "esmo-2025"):
        assert to_json(documents[guideline]) == to_json(recommend(patients[0], guideline))


def test_recommend_many_keeps_order_and_duplicate_ids_apart() -> None:
    fit = {"id": "same", "ecog": 0, "prior_therapies": []}
    frail = {"id": "same", "ecog": 3, "prior_therapies": []}
    patients = [patient_from_data(fit), patient_from_data(frail), patient_from_data(fit)]
    documents = list(recommend_many(patients, "asco-2024", chunk_size=2))
    assert [to_json(d) for d in documents] == [to_json(recommend(p, "asco-2024")) for p in patients]
    assert documents[0] != documents[1] and to_json(documents[0]) == to_json(documents[2])


def test_a_child_pugh_contradiction_rejects_only_that_patient() -> None:
    contradictory = patient_from_data(
        {
            "id": "says-class-a-but-labs-give-c",
            "labs": {"bilirubin_mg_dl": 4, "albumin_g_dl": 2.5, "inr": 2.5},
            "liver": {
                "ascites": "moderate_severe",
                "encephalopathy": "none",
                "child_pugh": {"class": "A"},
            },
        }
    )
    fine = patient_from_data({"id": "fine", "ecog": 0})
    results = list(documents_many([fine, contradictory, fine], ["asco-2024"], shipped()))
    assert isinstance(results[1], InputConflictError)
    with pytest.raises(InputConflictError) as single:
        recommend(contradictory, "asco-2024")
    assert results[1].problems == single.value.problems
    assert isinstance(results[0], dict) and results[0] == results[2]
    with pytest.raises(InputConflictError):
        list(recommend_many([contradictory], "asco-2024"))


def test_rewrite_adds_a_patient_argument_to_derived_predicates_only() -> None:
    program = rewrite(guideline_statements(shipped().program, ("asco2024",)))
    assert {("value", 2), ("given", 1), ("prior", 3), ("patient", 1)} <= program.inputs
    assert {("line", 1), ("status", 3), ("child_pugh_score", 1)} <= program.dependent
    assert ("rec", 3) not in program.dependent  # guideline data is grounded once for all patients
    assert ("regimen", 1) not in program.dependent


def test_rewrite_refuses_a_kb_where_the_patient_argument_would_clash() -> None:
    from clingo import ast

    statements: list[ast.AST] = []
    ast.parse_string('#defined value/2. line(L) :- value("x", L). line(a, b).', statements.append)
    # Pretend the #defined came from the input layer.
    defined = statements[1]
    loc = defined.location
    begin = ast.Position("input.lp", loc.begin.line, loc.begin.column)
    statements[1] = defined.update(location=ast.Location(begin, begin))
    with pytest.raises(KnowledgeBaseError, match="line/2"):
        rewrite(statements)


def test_the_module_examples_run() -> None:
    module = importlib.import_module(
        "hcc_asp.recommend_many"
    )  # the package attribute: the function
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0
