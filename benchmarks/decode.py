"""Benchmark: reading answers into typed records -- ``hcc_asp.engine.decode`` against clorm.

The batch engine solves many patients in one Control and hands one answer (the shown atoms) per
patient to the document builders, which read typed records (``hcc_asp.engine.decode``). clorm
(Potassco's ORM for clingo) is the library way to turn atoms into typed facts. Both are timed on
the same answers, interleaved, after a warm-up (the per-atom memos filled, as in a cohort):

- ``decode``: ``decode(answer, kb).guideline(atom)``: every regimen's status, selected
  recommendation, unmet conditions (with the catalogue's description), contraindications,
  missing keys, actions, cautions, notes, scope and preference, grouped by regimen;
- ``clorm``: ``clorm.unify`` of the same answer's atoms into Predicate classes for the same
  predicates: typed facts only, not yet grouped by regimen nor joined with the catalogue
  (so less work than ``decode`` does);
- ``documents``: ``recommend_document`` per patient (what a cohort pays in all), for scale.

clorm is not a dependency of hcc-asp: ``pip install clorm`` to run this. Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _predicates() -> list[Any]:
    from clorm import ConstantField, IntegerField, Predicate, RawField, StringField

    class Status(Predicate):
        guideline = ConstantField
        regimen = ConstantField
        status = ConstantField

        class Meta:
            name = "status"

    class SelectedRec(Predicate):
        guideline = ConstantField
        regimen = ConstantField
        rec = StringField

        class Meta:
            name = "selected_rec"

    class Reason(Predicate):
        guideline = ConstantField
        regimen = ConstantField
        rec = StringField
        condition = RawField

        class Meta:
            name = "reason"

    def per_regimen(name: str) -> Any:
        return type(
            name.title().replace("_", ""),
            (Predicate,),
            {
                "guideline": ConstantField,
                "regimen": ConstantField,
                "value": RawField,
                "Meta": type("Meta", (), {"name": name}),
            },
        )

    class Note(Predicate):
        guideline = ConstantField
        code = ConstantField

        class Meta:
            name = "note"

    class NotEncoded(Predicate):
        guideline = ConstantField
        regimen = ConstantField

        class Meta:
            name = "not_encoded"

    class Line(Predicate):
        line = IntegerField

        class Meta:
            name = "line"

    others = [
        per_regimen(name)
        for name in (
            "contraindication_reason",
            "missing_key",
            "action",
            "caution_for",
            "caution_unassessed",
        )
    ]
    return [Status, SelectedRec, Reason, Note, NotEncoded, Line, *others]


def main() -> int:
    parser = argparse.ArgumentParser(description="decode vs clorm")
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--guideline", default="asco-2024")
    options = parser.parse_args()
    try:
        import clorm
    except ImportError:
        print("clorm is not installed (pip install clorm); nothing to compare")
        return 0
    from synthetic import cohort

    from hcc_asp.engine.batch import answers_many
    from hcc_asp.engine.decode import decode
    from hcc_asp.knowledge import shipped
    from hcc_asp.patient import patient_from_data
    from hcc_asp.recommend import recommend_document, resolve_guideline

    kb = shipped()
    atom = resolve_guideline(options.guideline, kb)
    patients = [patient_from_data(d) for d in cohort(options.patients, seed=options.patients)]
    answers = list(answers_many(patients, [atom], kb))
    predicates = _predicates()

    def by_decode() -> None:
        for answer in answers:
            decode(answer, kb).guideline(atom)

    def by_clorm() -> None:
        for answer in answers:
            clorm.unify(predicates, answer.atoms)

    def documents() -> None:
        for patient, answer in zip(patients, answers, strict=True):
            recommend_document(patient, decode(answer, kb), atom, kb)

    sides = {"decode": by_decode, "clorm": by_clorm, "documents": documents}
    for side in sides.values():  # warm-up: memos filled, as in a cohort after its first chunk
        side()
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(options.rounds):
        for name, side in sides.items():
            start = time.process_time()
            side()
            times[name].append(time.process_time() - start)
    atoms = sum(len(a.atoms) for a in answers) / len(answers)
    print(
        f"{len(answers)} answers under {options.guideline} ({atoms:.0f} shown atoms each), "
        f"CPU time per patient, median of {options.rounds} interleaved rounds:"
    )
    for name, samples in times.items():
        per = statistics.median(samples) / len(answers) * 1e6
        print(f"  {name:10} {per:9.1f} us  (min {min(samples) / len(answers) * 1e6:.1f})")
    ratio = statistics.median(times["clorm"]) / statistics.median(times["decode"])
    print(f"  clorm / decode: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
