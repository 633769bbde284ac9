"""The per-KB disk cache: one answer from a cold cache, a warm one, a damaged one, a shared one.

A cold `recommend` reads the KB's catalogue and program text from the cache
(``hcc_asp.knowledge.cache``) instead of solving and parsing the whole KB. Whatever state the cache
is in, the answer must be byte-identical to one computed from the KB's files, and an edited KB must
never be answered from the entries of the old one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import clingo
import pytest

from hcc_asp.engine.facts import patient_facts
from hcc_asp.engine.ground import ground_and_solve
from hcc_asp.knowledge import open_kb, shipped
from hcc_asp.knowledge.cache import fingerprint
from hcc_asp.knowledge.program import is_fired
from hcc_asp.knowledge.solving import Context
from hcc_asp.patient import load_patient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "first-line-complete.yaml"
COMMAND = [sys.executable, "-m", "hcc_asp", "recommend", str(EXAMPLE), "--format", "json"]


def run_cold(cache: Path | None, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("HCC_ASP_NO_CACHE", None)
    if cache is None:
        env["HCC_ASP_NO_CACHE"] = "1"
    else:
        env["HCC_ASP_CACHE_DIR"] = str(cache)
    return subprocess.Popen(
        [*COMMAND, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def answer(cache: Path | None, *extra: str) -> str:
    out, err = run_cold(cache, *extra).communicate(timeout=120)
    assert not err, err
    return out


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*/*.json"))


@pytest.fixture(scope="module")
def uncached() -> str:
    """The answer computed from the KB's files alone (disk cache off)."""
    return answer(None)


def test_a_cold_cache_is_filled_and_a_warm_one_gives_the_same_answer(tmp_path, uncached):
    assert answer(tmp_path) == uncached
    names = {path.name for path in entries(tmp_path)}
    assert {"catalogue.json", "program.json", "vocabulary.json", "scales.json"} <= names
    assert answer(tmp_path) == uncached


def test_a_corrupted_cache_is_ignored_and_rebuilt(tmp_path, uncached):
    answer(tmp_path)
    damage = ["", "{", "[1, 2]", '{"format": 1, "value": {"files": 3}}', "\x00\xff garbage"]
    for path, text in zip(entries(tmp_path), damage * 3, strict=False):
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
    assert answer(tmp_path) == uncached
    for path in entries(tmp_path):
        assert json.loads(path.read_text())["format"] == 1, f"{path.name} was not rebuilt"


def test_concurrent_cold_processes_share_one_cache_safely(tmp_path, uncached):
    processes = [run_cold(tmp_path) for _ in range(4)]
    outputs = [process.communicate(timeout=180) for process in processes]
    assert all(err == "" for _, err in outputs), [err for _, err in outputs]
    assert all(out == uncached for out, _ in outputs)
    assert not list(tmp_path.glob("*/*.tmp")), "a temporary file was left behind"
    for path in entries(tmp_path):
        json.loads(path.read_text())  # every entry whole
    assert answer(tmp_path) == uncached


def test_no_cache_writes_nothing(tmp_path):
    env = dict(os.environ, HCC_ASP_NO_CACHE="1", HCC_ASP_CACHE_DIR=str(tmp_path))
    subprocess.run(COMMAND, env=env, check=True, capture_output=True)
    assert not list(tmp_path.iterdir())


def test_an_edited_kb_is_never_answered_from_the_old_entries(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(shipped().folder, kb)
    cache = tmp_path / "cache"
    before = fingerprint(kb)
    first = json.loads(answer(cache, "--kb", str(kb)))
    assert first["guideline"] == "asco-2024"
    guideline = kb / "guidelines" / "asco-2024.lp"
    text = guideline.read_text()
    pooled = 'rec(asco2024, "1.1", (atezolizumab_bevacizumab; durvalumab_tremelimumab)).'
    assert pooled in text
    guideline.write_text(text.replace(pooled, 'rec(asco2024, "1.1", atezolizumab_bevacizumab).'))
    assert fingerprint(kb) != before
    assert open_kb(kb).fingerprint == fingerprint(kb)
    second = json.loads(answer(cache, "--kb", str(kb)))

    def durva_treme(document: dict) -> tuple[str, str]:
        entry = next(e for e in document["regimens"] if e["regimen"] == "durvalumab_tremelimumab")
        return entry["status"], entry["recommendation"]

    assert durva_treme(first) == ("recommended", "1.1")
    assert durva_treme(second) != ("recommended", "1.1")
    assert len(list(cache.iterdir())) == 2, "one entry folder per KB content"


@pytest.mark.parametrize("guideline", ["asco2024", "aasld2023", "nccn2023"])
def test_cached_program_text_grounds_what_the_parsed_kb_grounds(guideline):
    """The cached text (one guideline's files) and the parsed AST give the same model."""
    patient = load_patient(str(EXAMPLE))
    kb = shipped()
    facts = patient_facts(patient, kb)
    program = kb.program
    from_ast, _ = ground_and_solve(
        kb, facts, statements=program.only(program.statements, [guideline])
    )
    for _ in range(3):  # clingo parses the text once, later uses add its parsed statements
        from_text, _ = ground_and_solve(kb, facts, text=kb.compiled().text([guideline]))
        assert sorted(from_text) == sorted(from_ast)
    explained, _ = ground_and_solve(
        kb, facts, text=kb.compiled(explained=True).text([guideline], explained=True)
    )
    assert sorted(a for a in explained if not is_fired(a)) == sorted(from_ast)


def test_the_cached_catalogue_equals_the_solved_one():
    from hcc_asp.knowledge import catalogue

    built = catalogue.build(shipped().model_atoms)
    restored = catalogue.decode(json.loads(json.dumps(catalogue.encode(built))))
    for name in ("guidelines", "recs", "condition_label", "condition_code", "safety"):
        assert getattr(restored, name) == getattr(built, name), name
    assert shipped().catalogue.guideline_atom == built.guideline_atom


@pytest.mark.parametrize("explained", [False, True])
def test_the_cached_program_decodes_to_the_compiled_one(explained):
    """Both program entries (plain with its what-if slice, and explained) come back whole."""
    from hcc_asp.knowledge.compiled import _decode, _encode
    from hcc_asp.knowledge.program import compile_program

    built = compile_program(shipped().program, shipped().folder, explained)
    assert bool(built.whatif) is not explained
    assert _decode(json.loads(json.dumps(_encode(built)))) == built


def test_the_cached_vocabulary_and_scales_equal_the_ones_read_from_the_kb():
    from hcc_asp.knowledge.scales import read_scales
    from hcc_asp.knowledge.vocabulary import decode, encode, read

    kb = shipped()
    read_back = read(kb.folder / "vocabulary.lp")
    assert decode(json.loads(json.dumps(encode(read_back)))) == kb.regimens == read_back
    assert kb.scales == read_scales(kb.folder / "input.lp")


def test_facts_left_unshadowed_are_located_by_their_rule():
    """Ground facts carry no shadow; the compiled form knows the rule that states each one."""
    program = shipped().compiled(explained=True)
    where = program.facts['rec(asco2024,"1.1",atezolizumab_bevacizumab)']
    assert where and all(rule in program.rules for rule in where)
    assert program.rules[where[0]].is_fact
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], program.text(["asco2024"], explained=True))
    ctl.ground([("base", [])], context=Context())
    fired = set()
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            fired = {str(a.arguments[1]) for a in model.symbols(atoms=True) if is_fired(a)}
    assert 'rec(asco2024,"1.1",atezolizumab_bevacizumab)' not in fired


@pytest.mark.parametrize(
    "xdg, home",
    [
        (None, "/home/clinician"),  # the usual case: ~/.cache
        ("/var/cache/user", "/home/clinician"),  # XDG_CACHE_HOME, absolute: used
        ("relative/cache", "/home/clinician"),  # relative: not XDG, left to platformdirs
        ("", "/home/clinician"),  # empty: as unset
        (None, "relative-home"),  # a relative HOME: left to platformdirs
    ],
)
def test_the_cache_folder_is_the_one_platformdirs_names(monkeypatch, xdg, home):
    """The Linux fast path (no ``platformdirs`` import on a cold command) names the same folder."""
    from platformdirs import user_cache_dir

    from hcc_asp.knowledge.cache import cache_dir

    monkeypatch.delenv("HCC_ASP_CACHE_DIR", raising=False)
    monkeypatch.delenv("HCC_ASP_NO_CACHE", raising=False)
    monkeypatch.setenv("HOME", home)
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert cache_dir() == Path(user_cache_dir("hcc-asp", appauthor=False))
