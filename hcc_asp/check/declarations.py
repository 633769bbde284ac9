"""Static check of the one-guideline-one-file layout: the ``guideline/4`` declarations."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from clingo.ast import ASTType

from hcc_asp.check.findings import finding, place
from hcc_asp.knowledge.program import Program


def guideline_declarations(program: Program) -> list[dict[str, Any]]:
    """``guideline/4`` facts that break the one-guideline-one-file layout (``declaration`` errors).

    A public id declared twice (``recommend`` and ``check`` resolve it to one of them), a guideline
    atom declared twice, a declaration outside ``kb/guidelines/`` (the per-guideline filter then
    drops that shared file for every other guideline, so their answers lose its rules), or two
    guidelines declared in one file.
    """
    by_id: dict[str, list[tuple[str, str]]] = defaultdict(list)
    by_atom: dict[str, list[str]] = defaultdict(list)
    by_file: dict[str, list[str]] = defaultdict(list)
    findings: list[dict[str, Any]] = []
    for statement in program.statements:
        if statement.ast_type != ASTType.Rule or len(statement.body) != 0:
            continue
        head = statement.head
        if head.ast_type != ASTType.Literal or head.atom.ast_type != ASTType.SymbolicAtom:
            continue
        term = head.atom.symbol
        if (
            term.ast_type != ASTType.Function
            or term.name != "guideline"
            or len(term.arguments) != 4
        ):
            continue
        atom_term, id_term = term.arguments[0], term.arguments[1]
        if atom_term.ast_type != ASTType.SymbolicTerm or id_term.ast_type != ASTType.SymbolicTerm:
            continue
        atom, public = str(atom_term.symbol), str(id_term.symbol).strip('"')
        begin = statement.location.begin
        where = place(begin.filename, begin.line)
        by_id[public].append((atom, where))
        by_atom[atom].append(where)
        by_file[begin.filename].append(atom)
        if Path(begin.filename).parent.name != "guidelines":
            findings.append(
                finding(
                    "declaration",
                    public,
                    [],
                    f"Guideline {atom} ('{public}') is declared at {where}, outside "
                    "kb/guidelines/: answers for one guideline drop the files of the others, so "
                    "this shared file would be dropped for every other guideline. Declare each "
                    "guideline in its own file under kb/guidelines/.",
                    [where],
                )
            )
    for public, entries in sorted(by_id.items()):
        if len({atom for atom, _ in entries}) > 1:
            findings.append(
                finding(
                    "declaration",
                    public,
                    [],
                    f"Guideline id '{public}' is declared by "
                    + " and ".join(f"{atom} ({where})" for atom, where in entries)
                    + ": an id must name one guideline (recommend and check would use only one).",
                    [where for _, where in entries],
                )
            )
    for atom, places in sorted(by_atom.items()):
        if len(places) > 1:
            findings.append(
                finding(
                    "declaration",
                    None,
                    [],
                    f"Guideline {atom} is declared {len(places)} times: " + ", ".join(places) + ".",
                    places,
                )
            )
    for filename, atoms_ in sorted(by_file.items()):
        if len(set(atoms_)) > 1:
            findings.append(
                finding(
                    "declaration",
                    None,
                    [],
                    f"{Path(filename).name} declares {len(set(atoms_))} guidelines "
                    f"({', '.join(sorted(set(atoms_)))}): one file per guideline.",
                    [],
                )
            )
    return findings
