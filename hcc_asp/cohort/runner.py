"""Run a cohort through the batch engine: in this process, a process pool, or a Dask cluster.

Records are cut into tasks of ``chunk_size`` records; a task is solved by the batch engine
(:mod:`hcc_asp.engine.batch`: one clingo Control for its patients) and returns one result per
record, in input order. Where tasks run:

- in this process when the cohort fits in one task or ``workers == 1``;
- otherwise a local process pool of ``workers`` processes (default: every core), each loading the
  KB once (its initializer fills the caches of the KB value the worker keeps);
- on a Dask cluster when ``scheduler`` is an address (``tcp://host:8786``): the same tasks through
  the client's executor (``pip install 'hcc-asp[cohort]'``); each Dask worker keeps the loaded KB
  value after its first task.

The :class:`~hcc_asp.knowledge.KnowledgeBase` value travels with every task as its folder and
content fingerprint; a worker keeps one value per fingerprint (``hcc_asp.knowledge.shared``).

At most ``2 x workers`` tasks are in flight, so memory stays bounded for any cohort size, and the
results come back in input order whatever the number of workers: the same cohort gives the same
bytes.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any

from hcc_asp.cohort.concordance import classify, decision_point
from hcc_asp.cohort.records import Record

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase

__all__ = ["DEFAULT_TASK_SIZE", "assess", "assess_records"]

#: Records per task: a task is one batch-engine Control, and one unit of work for a pool worker.
DEFAULT_TASK_SIZE = 100


def assess_records(
    records: Sequence[Record],
    guidelines: Sequence[str],
    kb: KnowledgeBase,
    seconds_per_record: float | None = None,
    say: bool = True,
) -> list[dict[str, Any]]:
    """One result per record, in order: its concordance under each guideline, or its problems.

    With ``seconds_per_record``, the task may use that much CPU time per record it holds; past
    it the process ends with exit code 2 (:func:`engine.limits.cpu_budget`; ``say`` as there).
    """
    if seconds_per_record is None:
        return _assess_records(records, guidelines, kb)
    from hcc_asp.engine.limits import cpu_budget

    with cpu_budget(seconds_per_record * max(1, len(records)), say):
        return _assess_records(records, guidelines, kb)


def _assess_records(
    records: Sequence[Record], guidelines: Sequence[str], kb: KnowledgeBase
) -> list[dict[str, Any]]:
    from hcc_asp.recommend import InputConflictError
    from hcc_asp.recommend_many import documents_many

    valid = [r for r in records if r.patient is not None and not r.problems]
    decisions = [decision_point(r.patient) for r in valid if r.patient is not None]
    answers = documents_many([at for _, at in decisions], guidelines, kb, max(1, len(valid)))
    solved: dict[int, dict[str, Any]] = {}
    for record, (given, _), documents in zip(valid, decisions, answers, strict=True):
        assert record.patient is not None
        if isinstance(documents, InputConflictError):
            solved[id(record)] = rejected(record.where, documents.problems, record.patient.id)
            continue
        first = documents[guidelines[0]]
        solved[id(record)] = {
            "record": record.where,
            "patient": record.patient.id,
            "given": given,
            "line": first["line"],
            "guidelines": [classify(documents[g], given) for g in guidelines],
        }
    return [
        solved[id(r)]
        if id(r) in solved
        else rejected(r.where, r.problems, r.patient.id if r.patient else None)
        for r in records
    ]


def rejected(where: str, problems: Sequence[str], patient: str | None = None) -> dict[str, Any]:
    """The result of a record that was not assessed: where it is and every problem."""
    return {"record": where, "patient": patient, "errors": list(problems)}


def _warm(guidelines: Sequence[str], kb: KnowledgeBase) -> None:
    """Pool initializer: load the KB into this worker's caches once (parse, rewrite, catalogue)."""
    from hcc_asp.engine.batch import batch_program
    from hcc_asp.knowledge import shared
    from hcc_asp.recommend import resolve_guideline

    kb = shared(kb)
    batch_program(kb, tuple(sorted({resolve_guideline(g, kb) for g in guidelines})))
    kb.scales  # noqa: B018 - read now, so that no task pays for it


def _tasks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while task := list(itertools.islice(iterator, size)):
        yield task


def _in_order(
    executor: Executor,
    tasks: Iterator[list[Record]],
    guidelines: Sequence[str],
    kb: KnowledgeBase,
    window: int,
    seconds_per_record: float | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Submit tasks with at most ``window`` in flight; yield their results in submission order.

    A worker ended by its task's time limit is reported as the time limit, in one line.
    """
    from concurrent.futures.process import BrokenProcessPool

    from hcc_asp.engine.limits import LimitExceededError, too_long

    pending: deque[Future[list[dict[str, Any]]]] = deque()

    def result() -> list[dict[str, Any]]:
        try:
            return pending.popleft().result()
        except BrokenProcessPool:
            if seconds_per_record is None:
                raise
            raise LimitExceededError(
                too_long(seconds_per_record).replace(" of CPU time", " of CPU time per record")
            ) from None

    for task in tasks:
        pending.append(
            executor.submit(assess_records, task, tuple(guidelines), kb, seconds_per_record, False)
        )
        if len(pending) >= window:
            yield result()
    while pending:
        yield result()


def assess(
    records: Iterable[Record],
    guidelines: Sequence[str],
    kb: KnowledgeBase,
    workers: int | None = None,
    scheduler: str | None = None,
    task_size: int = DEFAULT_TASK_SIZE,
    progress: Callable[[int], None] | None = None,
    seconds_per_record: float | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one result per record, in input order (see the module docstring for where it runs).

    ``guidelines`` are public ids, already checked (`hcc_asp.recommend.resolve_guideline`).
    ``progress`` is called with the number of records each finished task held.
    ``seconds_per_record`` bounds each task's CPU time (that much per record it holds).
    """
    if task_size < 1:
        raise ValueError("task_size must be at least 1")
    tasks = _tasks(records, task_size)
    first = next(tasks, None)
    if first is None:
        return
    second = next(tasks, None)
    everything = itertools.chain([first], [second] if second is not None else [], tasks)
    workers = workers or os.cpu_count() or 1
    if scheduler is None and (second is None or workers == 1):
        batches: Iterator[list[dict[str, Any]]] = (
            assess_records(task, guidelines, kb, seconds_per_record) for task in everything
        )
        yield from _counted(batches, progress)
        return
    if scheduler is not None:
        with _connected(scheduler) as client:
            executor = client.get_executor()
            window = 2 * max(1, sum(client.nthreads().values()))
            batches = _in_order(executor, everything, guidelines, kb, window, seconds_per_record)
            yield from _counted(batches, progress)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Load the KB here first: forked workers start with it loaded (no Control is alive at the
    # fork, only parsed statements); where fork does not exist, each worker loads it itself.
    _warm(guidelines, kb)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(workers, context, _warm, (tuple(guidelines), kb)) as pool:
        batches = _in_order(pool, everything, guidelines, kb, 2 * workers, seconds_per_record)
        yield from _counted(batches, progress)


#: Seconds to reach a Dask scheduler before the audit says it cannot.
SCHEDULER_TIMEOUT = 5


def _connected(scheduler: str) -> Any:
    """A Dask client of ``scheduler``; an address that cannot be reached is one clear line."""
    from distributed import Client

    from hcc_asp.cohort.records import CohortError

    try:
        return Client(scheduler, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CohortError(
            f"--scheduler {scheduler}: no Dask scheduler could be reached within "
            f"{SCHEDULER_TIMEOUT} s ({reason})"
        ) from None


def _counted(
    batches: Iterator[list[dict[str, Any]]], progress: Callable[[int], None] | None
) -> Iterator[dict[str, Any]]:
    for batch in batches:
        yield from batch
        if progress is not None:
            progress(len(batch))
