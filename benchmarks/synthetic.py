"""Synthetic valid patients, generated from the patient schema, for benchmarks and demos.

Every scalar key of the schema (``hcc_asp.space.schema_keys``) is given with probability
``--known`` (default 0.85), else left unknown: enumerations take one of their allowed values,
numbers a value in the key's allowed range (``hcc_asp.patient.BOUNDS``, plausible upper limits
capped), booleans true or false. One unit per lab (never both), no stated Child-Pugh class or
score (the KB derives it; a stated one could contradict), 0-2 prior lines from the regimen
vocabulary, and ``given``: a regimen the patient was started on. Every patient is validated by the
patient model before it is written; the same seed gives the same cohort.

    python benchmarks/synthetic.py 10000 cohort.jsonl            # JSON Lines
    python benchmarks/synthetic.py 200 cohort/ --seed 7           # a directory of YAML files
    python benchmarks/synthetic.py 500 cohort.csv                 # the audit's CSV columns

These are not real patients and their statuses carry no clinical meaning.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import typing
from pathlib import Path
from typing import Any

import yaml

from hcc_asp.knowledge import shipped
from hcc_asp.patient import BOUNDS, patient_from_data
from hcc_asp.space import enumerated_values, schema_keys

#: Keys never generated: derived ones (Child-Pugh, BCLC stage), which a random draw would mostly
#: make contradict the other values (an input error, not a patient).
SKIP = {
    "version",
    "id",
    "given",
    "liver.child_pugh.class",
    "liver.child_pugh.score",
    "tumour.bclc_stage",
}
#: Upper limits for generation where the schema's bound is only a plausibility limit.
CAP = {
    "weight_kg": 130,
    "tumour.nodules": 10,
    "tumour.largest_nodule_cm": 20,
    "labs.bilirubin_mg_dl": 6,
    "labs.bilirubin_umol_l": 100,
    "labs.albumin_g_dl": 5,
    "labs.albumin_g_l": 50,
    "labs.inr": 3,
    "labs.afp_ng_ml": 5000,
    "labs.platelets_10e9_l": 400,
    "liver.varices.endoscopy_months_ago": 36,
    "liver.varices.bleeding_months_ago": 36,
    "comorbidities.arterial_thromboembolism_months_ago": 36,
    "comorbidities.major_surgery_days_ago": 90,
}
UNITS = (
    ("labs.bilirubin_mg_dl", "labs.bilirubin_umol_l"),
    ("labs.albumin_g_dl", "labs.albumin_g_l"),
)
OUTCOMES = ("progression", "intolerance", "completed")


def _number(key: str, annotation: Any, rng: random.Random) -> float | int:
    bound = BOUNDS[key]
    high = CAP.get(key, bound.high)
    if annotation is int:
        return rng.randint(bound.low if bound.low_inclusive else bound.low + 1, high)
    value = round(rng.uniform(bound.low, high), 1)
    return value if value > bound.low or bound.low_inclusive else round(bound.low + 0.1, 1)


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    *sections, leaf = key.split(".")
    for section in sections:
        data = data.setdefault(section, {})
    data[leaf] = value


def patient_data(index: int, rng: random.Random, known: float = 0.85) -> dict[str, Any]:
    """One synthetic patient as patient-file data (validated by the caller)."""
    ids = [r.id for r in shipped().regimens]
    data: dict[str, Any] = {"id": f"synthetic-{index:06d}"}
    dropped = {rng.choice(pair) for pair in UNITS}
    for key, annotation in schema_keys().items():
        if key in SKIP or key in dropped or rng.random() > known:
            continue
        if key == "prior_therapies":
            lines = rng.choice((0, 0, 1, 1, 2))
            _set(
                data,
                key,
                [
                    {"regimen": rng.choice(ids), "outcome": rng.choice(OUTCOMES)}
                    for _ in range(lines)
                ],
            )
        elif key == "access.unavailable":
            _set(data, key, rng.sample(ids, rng.choice((0, 0, 1))))
        elif key == "liver.etiology":
            allowed = enumerated_values(typing.get_args(annotation)[0]) or []
            _set(data, key, rng.sample(allowed, rng.randint(1, 2)))
        elif (allowed := enumerated_values(annotation)) is not None:
            _set(data, key, rng.choice(allowed))
        elif key in BOUNDS:
            _set(data, key, _number(key, annotation, rng))
    if rng.random() < 0.9:
        data["given"] = rng.choice(ids)
    return data


def cohort(size: int, seed: int = 1, known: float = 0.85) -> list[dict[str, Any]]:
    """``size`` valid synthetic patients (data), deterministic for a seed."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    index = 0
    while len(out) < size:
        index += 1
        data = patient_data(index, rng, known)
        try:
            patient_from_data(data)
        except Exception:  # nocoverage - a rare random contradiction: draw again
            continue
        out.append(data)
    return out


def _csv_row(data: dict[str, Any]) -> dict[str, str]:
    row: dict[str, str] = {}

    def walk(value: Any, prefix: str) -> None:
        for key, item in value.items():
            path = f"{prefix}{key}"
            if isinstance(item, dict):
                walk(item, path + ".")
            elif path == "prior_therapies":
                if not item:
                    row["prior_therapies"] = "none"
                for number, line in enumerate(item, start=1):
                    for field, cell in line.items():
                        row[f"prior_therapies.{number}.{field}"] = str(cell)
            elif isinstance(item, list):
                row[path] = ";".join(map(str, item))
            elif isinstance(item, bool):
                row[path] = "true" if item else "false"
            else:
                row[path] = str(item)

    walk(data, "")
    return row


def write(patients: list[dict[str, Any]], target: Path) -> None:
    """Write the cohort as JSON Lines (.jsonl), CSV (.csv) or a directory of YAML files."""
    if target.suffix == ".jsonl":
        with target.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(p) + "\n" for p in patients)
    elif target.suffix == ".csv":
        rows = [_csv_row(p) for p in patients]
        columns = sorted({c for row in rows for c in row}, key=lambda c: (c != "id", c))
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for patient in patients:
            text = yaml.safe_dump(patient, sort_keys=False)
            (target / f"{patient['id']}.yaml").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int)
    parser.add_argument("target", type=Path, help="cohort.jsonl, cohort.csv, or a directory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--known", type=float, default=0.85, help="share of keys given")
    args = parser.parse_args(argv)
    write(cohort(args.size, args.seed, args.known), args.target)
    print(f"{args.size} synthetic patients -> {args.target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
