"""`recommend` for many patients: one grounding for all, documents byte-identical to one by one.

The batch engine (``hcc_asp.engine.batch``) grounds and solves many patients in one Control and
gives one answer per patient; this module words each answer with the very function the
one-patient path uses (:func:`hcc_asp.recommend.recommend_document`).

>>> from hcc_asp import recommend, recommend_many
>>> from hcc_asp.patient import patient_from_data
>>> patients = [
...     patient_from_data({"id": "fit", "ecog": 0, "prior_therapies": []}),
...     patient_from_data({"id": "after-sorafenib", "ecog": 1, "prior_therapies": [
...         {"regimen": "sorafenib", "outcome": "progression"}]}),
... ]
>>> documents = list(recommend_many(patients, "asco-2024"))
>>> [(d["patient"], d["line"]) for d in documents]
[('fit', 1), ('after-sorafenib', 2)]
>>> documents == [recommend(p, "asco-2024") for p in patients]
True
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from hcc_asp.engine.batch import DEFAULT_CHUNK_SIZE, answers_many
from hcc_asp.engine.decode import decode
from hcc_asp.knowledge import KnowledgeBase, or_shipped
from hcc_asp.recommend import (
    InputConflictError,
    input_conflict,
    recommend_document,
    resolve_guideline,
)

__all__ = ["documents_many", "recommend_many"]


def documents_many(
    patients: Iterable[Any],
    guidelines: Sequence[str],
    kb: KnowledgeBase,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[dict[str, dict[str, Any]] | InputConflictError]:
    """Per patient: its `recommend` document under each guideline (by public id), or its conflict.

    A patient whose values the KB finds contradictory yields the :class:`InputConflictError`
    (not raised: one bad record must not stop a cohort).
    """
    atoms = {public: resolve_guideline(public, kb) for public in guidelines}
    patients_seen: deque[Any] = deque()

    def remember(items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            patients_seen.append(item)
            yield item

    for answer in answers_many(remember(patients), list(atoms.values()), kb, chunk_size):
        patient = patients_seen.popleft()
        decoded = decode(answer, kb)
        conflict = input_conflict(decoded)
        if conflict is not None:
            yield conflict
            continue
        yield {
            public: recommend_document(patient, decoded, atom, kb) for public, atom in atoms.items()
        }


def recommend_many(
    patients: Iterable[Any],
    guideline: str | None = None,
    kb: KnowledgeBase | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[dict[str, Any]]:
    """The `recommend` document of each patient under one guideline, in order, byte-identical.

    Many patients share one grounding (see the module docstring); ``chunk_size`` patients per
    Control bound the memory, and the documents are produced lazily chunk by chunk. Like
    `recommend`, a patient whose values contradict each other raises :class:`InputConflictError`
    (`hcc_asp.cohort` collects those per record instead).
    """
    kb = or_shipped(kb)
    public = kb.default_guideline if guideline is None else guideline
    for result in documents_many(patients, [public], kb, chunk_size):
        if isinstance(result, InputConflictError):
            raise result
        yield result[public]
