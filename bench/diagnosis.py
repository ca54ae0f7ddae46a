"""How often the diagnosis names the right cause: the corpus of real-world 401/407 exchanges.

    .venv/bin/python bench/diagnosis.py [--json] [--show-wrong]

Replays every case of tests/corpus/cases through the addon and the diagnosis, as the product
runs them (tests/corpus/replay.py), and compares the primary cause with the case's
`expect.cause`. Prints:

- the accuracy: right primaries out of the cases replayed;
- the confidently wrong: a wrong primary with confidence >= 0.5, the mistakes a person would
  believe (the popup shows them as the answer, not as a guess);
- by expected cause: how many cases, how many right, and what the wrong ones were diagnosed
  as (the off-diagonal cells of the confusion table);
- with --show-wrong, every wrong case: id, expected, diagnosed, confidence, summary.

--json prints the same as one JSON object. No network, no proxy: it runs in a few seconds.
A case that cannot be replayed (its shape is broken) is listed apart and left out of the
accuracy; a case file that is not JSON stops the run (exit status 2).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus.replay import CaseError, CorpusError, load_cases, replay  # noqa: E402

CONFIDENT = 0.5


def measure() -> dict[str, Any]:
    started = time.perf_counter()
    cases = load_cases()
    results = []
    broken = []
    for case in cases:
        try:
            diagnosis = replay(case)
        except CaseError as exc:
            broken.append({"id": case.id, "file": case.file, "error": str(exc)})
            continue
        results.append(
            {
                "id": case.id,
                "file": case.file,
                "api": case.data.get("api"),
                "expected": case.expected,
                "got": diagnosis.cause,
                "confidence": diagnosis.confidence,
                "also": diagnosis.also,
                "summary": diagnosis.summary,
            }
        )
    elapsed = time.perf_counter() - started

    wrong = [r for r in results if r["got"] != r["expected"]]
    by_cause: dict[str, dict[str, Any]] = {}
    diagnosed_as: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        row = by_cause.setdefault(r["expected"], {"cases": 0, "right": 0})
        row["cases"] += 1
        row["right"] += r["got"] == r["expected"]
        if r["got"] != r["expected"]:
            diagnosed_as[r["expected"]][r["got"]] += 1
    for cause, row in by_cause.items():
        row["accuracy"] = round(row["right"] / row["cases"], 4)
        row["diagnosed_as"] = dict(diagnosed_as[cause].most_common())
    confusions = sorted(
        ({"expected": e, "diagnosed": g, "count": n} for e, counter in diagnosed_as.items() for g, n in counter.items()),
        key=lambda c: (-c["count"], c["expected"], c["diagnosed"]),
    )
    right = len(results) - len(wrong)
    return {
        "cases": len(cases),
        "files": len({case.file for case in cases}),
        "apis": len({case.data.get("api") for case in cases}),
        "replayed": len(results),
        "right": right,
        "accuracy": round(right / len(results), 4) if results else 0.0,
        "confident_wrong": sum(1 for r in wrong if r["confidence"] >= CONFIDENT),
        "confident_threshold": CONFIDENT,
        "by_cause": dict(sorted(by_cause.items(), key=lambda item: (-item[1]["cases"], item[0]))),
        "confusions": confusions,
        "wrong": wrong,
        "not_replayed": broken,
        "seconds": round(elapsed, 2),
    }


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def print_text(result: dict[str, Any], show_wrong: bool) -> None:
    replayed, right = result["replayed"], result["right"]
    wrong = replayed - right
    print(
        f"Diagnosis on the corpus: {result['cases']} cases of {result['apis']} APIs in {result['files']} files "
        f"(replayed in {result['seconds']:.1f} s)"
    )
    print(f"  accuracy          {right}/{replayed} right ({_percent(right, replayed)}), {wrong} wrong")
    print(f"  confident-wrong   {result['confident_wrong']} of the {wrong} wrong have confidence >= {result['confident_threshold']}")
    if result["not_replayed"]:
        print(f"  not replayed      {len(result['not_replayed'])} (broken shape): {', '.join(b['id'] for b in result['not_replayed'])}")

    print("\nBy expected cause (wrong ones: what the diagnosis named instead)")
    width = max([len(c) for c in result["by_cause"]] + [14])
    print(f"  {'expected':<{width}}  cases  right  accuracy  diagnosed as")
    for cause, row in result["by_cause"].items():
        instead = ", ".join(f"{got} {n}" for got, n in row["diagnosed_as"].items())
        print(f"  {cause:<{width}}  {row['cases']:>5}  {row['right']:>5}  {_percent(row['right'], row['cases']):>8}  {instead}")

    print("\nConfusions, off-diagonal (expected → diagnosed: cases)")
    for cell in result["confusions"]:
        print(f"  {cell['expected']} → {cell['diagnosed']}: {cell['count']}")
    if not result["confusions"]:
        print("  none")

    if show_wrong:
        print(f"\nWrong cases ({wrong})")
        for r in result["wrong"]:
            print(f"  {r['id']}  [{r['file']}]")
            print(f"      expected {r['expected']}, got {r['got']} (confidence {r['confidence']:g})")
            print(f"      {r['summary']}")
        for b in result["not_replayed"]:
            print(f"  {b['id']}  [{b['file']}]: not replayed\n      {b['error']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--show-wrong", action="store_true", help="list every wrong case with what the diagnosis said")
    args = parser.parse_args(argv)
    try:
        result = measure()
    except CorpusError as exc:
        print(f"bench/diagnosis.py: {exc}", file=sys.stderr)
        return 2
    if args.json:
        if not args.show_wrong:
            result = {k: v for k, v in result.items() if k != "wrong"}
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_text(result, args.show_wrong)
    return 0


if __name__ == "__main__":
    sys.exit(main())
