"""Every golden patient through every output a clinician reads, and no engine id as words.

Text (``recommend --details``), the JSON notes, the HTML page and the CDS card of each golden
case under its guideline are searched for what the engine says to itself: snake_case ids
(``atezolizumab_bevacizumab``, ``not_met``, ``value_in__...``), patient-file key paths as the
main words (``comorbidities.major_surgery_days_ago``), Python reprs (``PriorTherapy(regimen=``)
and an empty grading label (``(, , H , S )``). A key may stand in the reader's small print
after its words: ``[key]`` in text, ``(key ...)`` in a KB sentence, ``<small class="key">`` in
HTML, code spans in a card's markdown; the derivation trees (for whoever audits the rule) are
left out.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import pytest

from hcc_asp.patient import parse_patient
from hcc_asp.recommend import recommend
from hcc_asp.render import html as pages
from hcc_asp.render import recommend_text
from hcc_asp.render.context import context
from hcc_asp.service import cards

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(GOLDEN.glob("*.yaml"))

ENGINE_ID = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
OTHER = re.compile(
    r"\w+\(\w+=|\(, |(?<![(\w])(?:tumour|labs|liver|comorbidities|access|prior_therapies)"
    r"(?:\[\d+\])?\.[a-z]"
)
#: Recommendation ids the KB writes ``text:<label>`` (an unnumbered statement of the guideline
#: text, kb/guidelines/asco-2020.lp): their labels are issue 22's (source labels), so the words
#: "Rec text:" are not counted here.
KB_LABELS = re.compile(r"Rec text:\S+")


def _html_words(page: str) -> str:
    page = re.sub(r"<(style|script)>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<small class="key">.*?</small>', " ", page, flags=re.S)
    page = re.sub(r'<span class="rule">.*?</span>', " ", page, flags=re.S)
    page = re.sub(r"<code>.*?</code>", " ", page, flags=re.S)
    page = re.sub(r'<details class="derivation">.*?</details>', " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@cache
def outputs(case: Path) -> dict[str, str]:
    guideline = case.with_suffix(".expected").read_text().split()[0]
    document = recommend(parse_patient(case.read_text()), guideline)
    ctx = context()
    info = cards.GuidelineInfo(id=guideline, title="", citation="", doi="")
    card = cards.guideline_card(
        document, info, ctx.names, hook_instance="words", explanation_url="http://127.0.0.1/x"
    )
    return {
        "text": re.sub(r"\[[a-z0-9_.\[\]]+\]", " ", recommend_text(document, ctx, details=True)),
        "JSON notes": "\n".join(note["text"] for note in document["notes"]),
        "HTML": _html_words(pages.recommend_page(document, ctx)),
        "card": re.sub(r"`[^`]*`", " ", f"{card.summary}\n{card.detail}"),
    }


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_a_clinician_reads_no_engine_id_as_words(case):
    found = []
    for output, text in outputs(case).items():
        text = KB_LABELS.sub(" ", text)
        for match in [*ENGINE_ID.finditer(text), *OTHER.finditer(text)]:
            around = text[max(0, match.start() - 50) : match.end() + 30].replace("\n", " ")
            found.append(f"{output}: {match.group()!r} in ...{around}...")
    assert found == [], "\n".join(found[:10])
