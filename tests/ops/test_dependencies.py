"""The declared dependencies match the imports, and the lock files hold what is declared.

`pyproject.toml` declares what the code imports: every third-party module imported by src/ comes from a
runtime dependency (directly, or through an extra we name, e.g. `dramatiq[rabbitmq]` → pika), and every
runtime dependency is imported somewhere in src/ — unless it is listed in `LOADED_WITHOUT_IMPORT` with
the reason. The same holds for the test extra against tests/ and bench/.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# Runtime dependencies that src/ never imports by name, and why they are declared all the same.
LOADED_WITHOUT_IMPORT = {
    "aiomysql": "the MySQL driver, loaded by SQLAlchemy from a mysql+aiomysql:// URL",
    "aiosqlite": "the SQLite driver, loaded by SQLAlchemy from a sqlite+aiosqlite:// URL",
    # uvicorn[standard]: its extras uvloop and httptools are named in `jiadian serve`'s options
}
# Test-extra packages that are tools or plugins rather than imports.
TOOLS = {
    "pytest-asyncio": "a pytest plugin (asyncio_mode = auto); imported only for its markers",
    "mypy": "the type checker `make lint` runs",
    "ruff": "the linter and formatter `make lint` runs",
    "import-linter": "the layer contracts `make lint` checks (lint-imports)",
    "mutmut": "the mutation tester `make mutants` runs",
}


# The testers' kit (`jiadian.testing`) is a pytest plugin: its pytest imports come from the test extra.
TESTING_KIT = "src/jiadian/testing"


def imports_of(*roots: str, skip: str | None = None) -> set[str]:
    """The top-level names of every module imported (at any depth, lazily too) under the roots."""
    names: set[str] = set()
    for root in roots:
        for path in (ROOT / root).rglob("*.py"):
            if skip is not None and path.is_relative_to(ROOT / skip):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    local = {"jiadian", "tests", "bench"}
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions_providing(modules: Iterable[str]) -> dict[str, set[str]]:
    """module → the installed distributions that provide it (a module not installed here, e.g. bench's
    matplotlib outside `make bench`, by its own name)."""
    provided = metadata.packages_distributions()
    return {m: {canonical(d) for d in provided.get(m, [m])} for m in modules}


def with_extras(requirements: Iterable[str]) -> set[str]:
    """The named distributions, plus what the extras we ask for bring (one level: `dramatiq[rabbitmq]`)."""
    names: set[str] = set()
    for text in requirements:
        req = Requirement(text)
        names.add(canonical(req.name))
        for extra in req.extras:
            for dep in metadata.requires(req.name) or []:
                sub = Requirement(dep)
                if (
                    sub.marker
                    and sub.marker.evaluate({"extra": extra})
                    and not Marker(str(sub.marker)).evaluate({"extra": ""})
                ):
                    names.add(canonical(sub.name))
    return names


def runtime() -> list[str]:
    return list(PYPROJECT["project"]["dependencies"])


def extra(name: str) -> list[str]:
    return list(PYPROJECT["project"]["optional-dependencies"][name])


def test_every_third_party_import_of_src_is_declared() -> None:
    declared = with_extras(runtime())
    undeclared = {
        module: sorted(dists)
        for module, dists in distributions_providing(imports_of("src", skip=TESTING_KIT)).items()
        if not dists & declared
    }
    assert not undeclared, f"imported by src/ but not declared in [project] dependencies: {undeclared}"
    with_tests = with_extras(runtime() + extra("test"))
    kit = {
        m: sorted(d)
        for m, d in distributions_providing(imports_of(TESTING_KIT)).items()
        if not d & with_tests
    }
    assert not kit, f"imported by the testing kit but not declared (runtime or test extra): {kit}"


def test_every_runtime_dependency_is_imported_by_src() -> None:
    imported = set().union(*distributions_providing(imports_of("src")).values())
    unused = {
        canonical(Requirement(r).name)
        for r in runtime()
        if canonical(Requirement(r).name) not in imported | set(LOADED_WITHOUT_IMPORT)
    }
    assert not unused, f"declared in [project] dependencies but never imported by src/: {sorted(unused)}"


def test_the_test_extra_matches_what_the_tests_import() -> None:
    declared = with_extras(runtime() + extra("test") + extra("browser") + extra("bench"))
    modules = distributions_providing(imports_of("tests", "bench"))
    undeclared = {m: sorted(d) for m, d in modules.items() if not d & declared}
    assert not undeclared, f"imported by tests/ or bench/ but not declared: {undeclared}"
    imported = set().union(*modules.values())
    unused = {
        canonical(Requirement(r).name)
        for r in extra("test") + extra("dev")
        if canonical(Requirement(r).name) not in imported | set(TOOLS)
    }
    assert not unused, f"declared in the test/dev extras but never imported by tests/: {sorted(unused)}"


def test_every_dependency_is_pinned_exactly() -> None:
    loose = [
        text
        for text in runtime()
        + [r for group in PYPROJECT["project"]["optional-dependencies"].values() for r in group]
        if not all(spec.operator == "==" for spec in Requirement(text).specifier)
        or not Requirement(text).specifier
    ]
    assert not loose, f"pin these with ==: {loose}"


def locked(name: str) -> dict[str, str]:
    """package → version of a lock file of requirements/ (each line `name==version \\`)."""
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {canonical(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M)}


def test_the_lock_files_hold_every_declared_dependency_at_its_pinned_version() -> None:
    """A dependency added to pyproject.toml without `make lock` fails here, not on a fresh clone."""
    groups = {
        "run.txt": runtime(),
        "test.txt": runtime() + extra("test") + extra("dev") + extra("browser"),
        "bench.txt": runtime() + extra("bench"),
        "audit.txt": runtime() + extra("audit"),
    }
    build = list(PYPROJECT["build-system"]["requires"])
    for lock, requirements in groups.items():
        pins = locked(lock)
        for text in requirements + build:
            req = Requirement(text)
            version = next(iter(req.specifier)).version
            assert pins.get(canonical(req.name)) == version, (
                f"requirements/{lock} has {req.name} {pins.get(canonical(req.name))}, pyproject.toml {version}: "
                "run `make lock`"
            )


def test_the_license_is_an_spdx_expression() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").is_file()
