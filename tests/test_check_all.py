"""`check --guideline all`: the findings of the shipped KB, pinned one line each.

The check was made fast (one index of the KB's fact locations, witnesses read from the input
atoms of the ground space, one patient file per witness); these lines pin that the set of
findings, their words, rules and witness patients, stayed what it was. When the KB or the
check changes on purpose, regenerate the file and review its diff::

    python tests/test_check_all.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

EXPECTED = Path(__file__).with_name("check-all.expected")


def finding_lines(document: dict) -> list[str]:
    """One line per finding: severity, kind, guideline, regimens, text, rules, witness digest."""
    lines = []
    for f in document["findings"]:
        witness = f["witness"]
        digest = (
            hashlib.sha256(json.dumps(witness, sort_keys=True).encode()).hexdigest()[:12]
            if witness is not None
            else "-"
        )
        regimens = ",".join(f["regimens"]) or "-"
        rules = ",".join(f["rules"]) or "-"
        lines.append(
            f"{f['severity']} {f['kind']} {f['guideline'] or '-'} {regimens} | {f['text']} | "
            f"{rules} | witness {digest}"
        )
    return lines


def test_check_all_finds_exactly_the_pinned_findings():
    from test_guidelines import checked_all

    found = finding_lines(checked_all())
    expected = EXPECTED.read_text().splitlines()
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    assert not missing and not extra, (
        f"{len(missing)} pinned findings missing, {len(extra)} new "
        "(regenerate with `python tests/test_check_all.py` if intended):\n"
        + "\n".join(["- " + m for m in missing[:5]] + ["+ " + e for e in extra[:5]])
    )
    assert found == expected  # and in the same order


if __name__ == "__main__":
    from hcc_asp.check import check

    EXPECTED.write_text("\n".join(finding_lines(check("all"))) + "\n")
    sys.exit(0)
