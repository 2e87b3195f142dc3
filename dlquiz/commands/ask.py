"""``dlquiz ask``: one generated question in the shell, checked and explained."""

from __future__ import annotations

import json
import random
import sys


def list_families() -> int:
    from dlquiz.questions import families

    fams = families()
    width = max(len(f) for f in fams)
    for fam in sorted(fams.values(), key=lambda f: (f.topic, f.id)):
        levels = "; ".join(f"{lvl}: {what}" for lvl, what in sorted(fam.levels.items()))
        print(f"{fam.id:<{width}}  [{fam.topic}] {fam.title} (levels {levels})")
    return 0


def run(
    family: str | None,
    level: int | None,
    seed: int | None,
    answer: str | None,
    as_json: bool,
) -> int:
    from dlquiz.questions import families, generate

    fams = families()
    if family is None:
        family = random.choice(sorted(fams))
    if family not in fams:
        from difflib import get_close_matches

        close = get_close_matches(family, list(fams), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        print(
            f"dlquiz: no question family {family!r}.{hint} See `dlquiz ask --list`.",
            file=sys.stderr,
        )
        return 2
    fam = fams[family]
    if level is None:
        level = min(fam.levels)
    if level not in fam.levels:
        print(
            f"dlquiz: {family} has levels {', '.join(map(str, sorted(fam.levels)))}, not {level}.",
            file=sys.stderr,
        )
        return 2
    if seed is None:
        seed = random.randrange(2**32)
    question = generate(family, level, seed)

    verdict = None
    if answer is not None:
        from dlquiz.answers import grade

        verdict = grade(question, answer)

    if as_json:
        data = question.to_json()
        if verdict is not None:
            data["verdict"] = {
                "status": verdict.status,
                "message": verdict.message,
                "close": verdict.close,
                "mistake": verdict.mistake.id if verdict.mistake else None,
            }
        print(json.dumps(data, indent=2))
        return 0 if verdict is None or verdict.status == "correct" else 1

    print(f"{fam.title} · level {level} · seed {seed}\n")
    print(question.prompt)
    if question.code:
        print("\n" + "\n".join("    " + line for line in question.code.splitlines()))
    if question.expected.kind == "choice":
        print()
        for i, choice in enumerate(question.expected.choices):
            print(f"  {'abcdefgh'[i]}) {choice}")
    if verdict is None:
        print(f"\nCheck an answer: dlquiz ask {family} --level {level} --seed {seed} --answer '…'")
        return 0
    print(f"\n{verdict.message}")
    if verdict.status == "unparsed":
        return 2
    print(f"\nAnswer: {question.expected.display()}\n\n{question.explanation}")
    print("\nProve it (run with torch):\n")
    print("\n".join("    " + line for line in question.proof.splitlines()))
    return 0 if verdict.status == "correct" else 1
