"""The mutation score of the last `mutmut run`, per module, against the floor (`make mutants`).

Reads mutmut's results under `mutants/` (run from the repository's root, after `mutmut run`) and the
equivalent mutants listed in `mutation/equivalents.toml`. A mutant is *equivalent* when no test can
tell it from the original (it changes nothing a caller can observe); each is listed with the reason.
A listed mutant is matched by its function and the lines it changes, not by mutmut's number, so the
list survives edits elsewhere in the function.

    score = killed / (mutants - equivalent)        (timeouts and type-check failures count as killed)

Exits 1 when the score of all modules together is under the floor (90 %), or when a listed
equivalent is killed by a test after all (then it was not equivalent: take it off the list).
`--survivors` prints the diff of every surviving mutant that is not listed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

FLOOR = 90.0
EQUIVALENTS = Path(__file__).with_name("equivalents.toml")

KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # failed a test, timed out, or was refused by the type checker
SURVIVED = {0}
NO_TESTS = {5, 33}  # no test calls the function: a survivor too


@dataclass(frozen=True)
class Mutant:
    name: str  # mutmut's, e.g. jiadian.domain.wallet.xǁWalletǁapply__mutmut_7
    module: str  # jiadian.domain.wallet
    path: Path  # src/jiadian/domain/wallet.py
    exit_code: int | None

    @property
    def function(self) -> str:
        """The function as a reader names it: jiadian.domain.wallet.Wallet.apply."""
        base = re.sub(r"__mutmut_\d+$", "", self.name)
        return base.replace(".xǁ", ".").replace("ǁ", ".").replace(".x_", ".")

    @property
    def killed(self) -> bool:
        return self.exit_code in KILLED

    @property
    def survived(self) -> bool:
        return self.exit_code in SURVIVED | NO_TESTS


def mutants(root: Path) -> list[Mutant]:
    found = []
    for meta in sorted((root / "mutants").rglob("*.py.meta")):
        path = meta.relative_to(root / "mutants").with_suffix("")
        module = ".".join(path.with_suffix("").parts[1:]).removesuffix(".__init__")
        data = json.loads(meta.read_text())
        for name, code in data["exit_code_by_key"].items():
            found.append(Mutant(name, module, path, code))
    return found


def changed_lines(mutant: Mutant) -> tuple[str, str]:
    """(before, after): the lines the mutant changes, stripped and joined by " / "."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(mutant.name, path=mutant.path)
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++", "@@"))]
    before = " / ".join(line[1:].strip() for line in lines if line.startswith("-"))
    after = " / ".join(line[1:].strip() for line in lines if line.startswith("+"))
    return before, after


def load_equivalents(path: Path = EQUIVALENTS) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return list(tomllib.loads(path.read_text())["equivalent"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="print the diff of every unlisted survivor")
    parser.add_argument("--floor", type=float, default=FLOOR, help="the minimum score in percent")
    parser.add_argument(
        "--only", default="", metavar="PREFIX", help="only the modules under PREFIX (e.g. jiadian.domain.)"
    )
    args = parser.parse_args()

    root = Path.cwd()
    everything = [m for m in mutants(root) if m.module.startswith(args.only)]
    if not everything:
        print("no mutmut results under mutants/: run `mutmut run` first", file=sys.stderr)
        return 2
    listed = [entry for entry in load_equivalents() if entry["where"].startswith(args.only)]
    wanted = Counter((entry["where"], entry["before"], entry["after"]) for entry in listed)
    matched: Counter[tuple[str, str, str]] = Counter()

    by_module: dict[str, Counter[str]] = {}
    survivors: list[tuple[Mutant, str, str]] = []
    killed_but_listed: list[tuple[str, str, str]] = []
    for mutant in everything:
        counts = by_module.setdefault(mutant.module, Counter())
        counts["mutants"] += 1
        if mutant.killed:
            counts["killed"] += 1
            continue
        before, after = changed_lines(mutant) if wanted or args.survivors else ("", "")
        key = (mutant.function, before, after)
        if mutant.survived and matched[key] < wanted[key]:
            matched[key] += 1
            counts["equivalent"] += 1
        elif mutant.survived:
            counts["survived"] += 1
            survivors.append((mutant, before, after))
        else:
            counts["other"] += 1  # suspicious, skipped, not checked
    for key, count in wanted.items():
        if matched[key] < count:
            killed_but_listed.append(key)

    print(f"{'module':40} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'survived':>9} {'score':>7}")
    total: Counter[str] = Counter()
    for module, counts in sorted(by_module.items()):
        total.update(counts)
        print(_row(module, counts))
    print(_row("all", total))

    if args.survivors:
        for mutant, before, after in survivors:
            print(f"\n# {mutant.name}  (mutmut show {mutant.name})\n- {before}\n+ {after}")
    failed = False
    if killed_but_listed:
        failed = True
        print(
            f"\n{len(killed_but_listed)} listed equivalent(s) not found among the survivors (killed, or gone):"
        )
        for where, before, after in killed_but_listed:
            print(f"  {where}: {before!r} -> {after!r}")
    score = _score(total)
    if score < args.floor:
        failed = True
        print(
            f"\nmutation score {score:.1f} % is under the floor of {args.floor:.0f} %: "
            f"kill the survivors (make mutants-survivors) or, if one is equivalent, list it in {EQUIVALENTS.name}"
        )
    return 1 if failed else 0


def _score(counts: Counter[str]) -> float:
    judged = counts["mutants"] - counts["equivalent"]
    return 100.0 * counts["killed"] / judged if judged else 100.0


def _row(name: str, counts: Counter[str]) -> str:
    return (
        f"{name:40} {counts['mutants']:>8} {counts['killed']:>7} {counts['equivalent']:>7} "
        f"{counts['survived'] + counts['other']:>9} {_score(counts):>6.1f}%"
    )


if __name__ == "__main__":
    sys.exit(main())
