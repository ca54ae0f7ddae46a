"""The corpus of real-world 401/407 exchanges (tests/corpus/cases, see README.md there),
replayed through the addon and the diagnosis as the product runs them (tests/corpus/replay.py).

One test per case asserts the primary cause, and that `also` names only causes the source
supports (the symptoms, which stand on their own facts, aside). No case is exempt: a new case
that fails is a bug of the diagnosis to fix, not a number to lower. The shape of every case is
checked (`replay.case_problems`). `bench/diagnosis.py` prints the accuracy, the confusion
table and the confidently-wrong count.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus.replay import (
    CASES_DIR,
    Case,
    CorpusError,
    case_problems,
    corpus_problems,
    read_case_file,
    replay,
)

MIN_CASES = 150
MIN_APIS = 40
# Symptoms hold on facts of their own (no challenge on the 401, the same request refused again
# and again) and may stand in `also` beside any root cause.
CALM_ALSO = frozenset({"missing_challenge", "auth_loop"})

FILES = sorted(CASES_DIR.glob("*.json"))


def _readable(path: Path) -> list[Case]:
    """The cases of one file; a file that does not parse fails `test_case_file` alone, so
    that one broken file does not hide the other cases."""
    try:
        return read_case_file(path)
    except CorpusError:
        return []


CASES = [case for path in FILES for case in _readable(path)]


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CASES])
def test_primary_cause(case: Case) -> None:
    """Each real 401 gets the cause its source gives; a new case that fails is a bug to fix."""
    diagnosis = replay(case)
    assert diagnosis.cause == case.expected, (
        f"{case.where}: expected {case.expected}, the diagnosis names {diagnosis.cause} "
        f"(confidence {diagnosis.confidence}, also {diagnosis.also}): {diagnosis.summary}"
    )
    assert set(diagnosis.also) <= set(case.data["expect"].get("also", [])) | CALM_ALSO, (
        f"{case.where}: also {diagnosis.also} names causes the source does not support"
    )


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_case_file(path: Path) -> None:
    """The file parses as an array of cases, and each case has the shape of README.md."""
    cases = read_case_file(path)  # raises CorpusError, naming the file and the place
    assert cases, f"{path.name} holds no case"
    report = [f"{case.where}:\n    " + "\n    ".join(problems) for case in cases if (problems := case_problems(case))]
    assert not report, "\n".join(report)


def test_case_ids_are_unique() -> None:
    duplicates = {
        where: problems for where, problems in corpus_problems(CASES).items() if any(p.startswith("id: also used") for p in problems)
    }
    assert not duplicates, duplicates


def test_corpus_coverage() -> None:
    apis = {case.data.get("api") for case in CASES}
    assert len(CASES) >= MIN_CASES, f"{len(CASES)} cases, fewer than {MIN_CASES}"
    assert len(apis) >= MIN_APIS, f"{len(apis)} distinct APIs, fewer than {MIN_APIS}"
