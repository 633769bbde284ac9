"""Fuzz the command line with hostile patients: exit 0 or 2, never a traceback (issue 10).

Two generators (hypothesis, derandomized and small so CI runs them): raw bytes (random, and a
valid example file with bytes flipped) and JSON documents over the patient model's own keys with
values of every type, tiny and huge numbers and odd Unicode. Every run must end with exit 0, or
exit 2 with error lines on stderr and nothing on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hcc_asp.cli import main
from hcc_asp.space import schema_keys

EXAMPLE = (
    Path(__file__).resolve().parent.parent / "examples" / "after-sorafenib.yaml"
).read_bytes()
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def assert_clean(data: bytes, *options: str) -> None:
    result = CliRunner().invoke(main, ["recommend", "-", *options], input=data)
    assert result.exit_code in (0, 2), (result.exit_code, result.exception, data[:200])
    if result.exit_code == 2:
        assert result.stdout == "", data[:200]
        assert result.stderr.startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_as_a_patient_file_exit_0_or_2(data):
    assert_clean(data)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(EXAMPLE) - 1), st.integers(0, 255)), max_size=6))
def test_a_valid_file_with_bytes_flipped_exits_0_or_2(flips):
    data = bytearray(EXAMPLE)
    for offset, byte in flips:
        data[offset] = byte
    assert_clean(bytes(data), "--format", "json")


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, 1e-300, 5e-324, 1e308, 0.004, 4.0, 7.0, 10**25])
    | st.text(max_size=12)
    | st.sampled_from(["A", "0", "C", "sorafenib", "bsc", "none", "\u202e", "\x00", "\ud7ff"])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_KEYS = sorted(schema_keys())


@st.composite
def documents(draw: st.DrawFn) -> dict:
    document: dict = {}
    for key in draw(st.lists(st.sampled_from(_KEYS), max_size=8, unique=True)):
        *parents, leaf = key.split(".")
        node = document
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[leaf] = draw(_VALUES)
    if draw(st.booleans()):
        document["prior_therapies"] = draw(
            st.lists(
                st.dictionaries(
                    st.sampled_from(["regimen", "outcome", "tolerated", "immune_adverse_event"]),
                    _SCALARS,
                ),
                max_size=3,
            )
        )
    return document


@FUZZ
@given(documents())
def test_patient_documents_over_the_model_keys_exit_0_or_2(document):
    assert_clean(json.dumps(document).encode())
