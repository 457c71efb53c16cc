"""Every `jiadian` command, given bad arguments, answers one line with a code and an exit status — never a
traceback. The commands are discovered from the Typer app: a command added later is driven too."""

from __future__ import annotations

import enum
import re
import shutil
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from jiadian.entrypoints.cli.errors import ShopGroup
from jiadian.entrypoints.cli.main import app
from jiadian.settings import Settings
from tests.cli_support import Cli, use_shop

# The exit statuses of cli/errors.py a refusal may have; 70 (a defect) is never one.
EXPECTED_STATUSES = {0, 1, 2, 69, 78}
# Commands that would run until stopped when their arguments parse: only given numbers they refuse
# (their bounds must make 0, -1 and a huge number usage errors).
LONG_RUNNING = {("serve",), ("worker",)}
HUGE = "99999999999999999999"


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    params: list[Any]


def commands(group: Any = None, path: tuple[str, ...] = ()) -> Iterator[Command]:
    group = group or typer.main.get_command(app)
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))
        else:
            yield Command((*path, name), list(command.params))


ALL = list(commands())


def kind_of(param: Any) -> type:
    """The Python type of a parameter (`list[int]` → int, `int | None` → int)."""
    annotation = param.type_descriptor.annotation
    while typing.get_args(annotation):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation  # type: ignore[no-any-return]


def plain(param: Any, files: dict[str, Path]) -> str:
    """A value of the right type (the baseline the bad values replace one at a time)."""
    kind = kind_of(param)
    if issubclass(kind, Path):
        return str(files["text"])
    if issubclass(kind, enum.Enum):
        return str(next(iter(kind)).value)
    return "1"


def bad_values(param: Any, files: dict[str, Path]) -> list[str]:
    kind = kind_of(param)
    if issubclass(kind, int):
        return ["x", HUGE, "-1", "0"]
    if issubclass(kind, float):
        return ["x", "-1", "nan"]
    if issubclass(kind, Path):
        return [str(files["missing"]), str(files["text"]), str(files["dir"]), str(files["binary"])]
    if issubclass(kind, enum.Enum):
        return ["nope"]
    return ["-5", "x" * 300, "nobody", "../../etc/passwd", HUGE, "0"]


def invocations(command: Command, files: dict[str, Path]) -> Iterator[list[str]]:
    """`--bogus`, then each parameter in turn given each bad value (the others plain)."""
    params = [p for p in command.params if p.name != "help" and not getattr(p, "is_flag", False)]

    def argv(overrides: dict[str, str]) -> list[str]:
        args: list[str] = [*command.path]
        for p in params:
            value = overrides.get(p.name)
            if p.param_type_name == "argument":
                args.append(value if value is not None else plain(p, files))
            elif value is not None or p.required:
                args += [p.opts[0], value if value is not None else plain(p, files)]
        return args

    yield [*command.path, "--bogus"]
    for p in params:
        if tuple(command.path) in LONG_RUNNING and not issubclass(kind_of(p), int):
            continue  # only values its parser refuses: these commands would run until stopped
        for value in bad_values(p, files):
            yield argv({p.name: value})


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli-inputs")
    (root / "dir").mkdir()
    (root / "text.txt").write_text("not an image, not a product\n")
    (root / "binary.bin").write_bytes(bytes(range(256)) * 4)
    return {
        "text": root / "text.txt",
        "binary": root / "binary.bin",
        "dir": root / "dir",
        "missing": root / "missing.png",
    }


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated shop with the demo catalogue, made once; each test gets a copy."""
    root = tmp_path_factory.mktemp("cli-demo")
    mp = pytest.MonkeyPatch()
    try:
        cli = use_shop(root, mp)
        cli("db", "upgrade")
        cli("demo", "load")
    finally:
        mp.undo()
    return root


def shop(kind: str, tmp_path: Path, demo_database: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    if kind == "demo":
        shutil.copytree(demo_database, tmp_path, dirs_exist_ok=True)
    cli = use_shop(tmp_path, monkeypatch)
    monkeypatch.setenv("JIADIAN_FASTDFS_TIMEOUT", "1")
    monkeypatch.setenv("JIADIAN_FASTDFS_TRACKERS", "127.0.0.1:1")  # nothing listens there
    return cli


def check(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, input="secret-password\n")
    output = result.output
    assert "Traceback" not in output, f"{args}:\n{output}"
    assert result.exit_code in EXPECTED_STATUSES, f"{args}: exit {result.exit_code}\n{output}"
    if result.exit_code != 0:
        errors = [line for line in output.splitlines() if line.startswith("error [")]
        helped = result.exit_code == 2 and "Usage:" in output and not errors  # a group without a command
        assert len(errors) == 1 or helped, f"{args}: not one error line\n{output}"
    return result.exit_code, output


@pytest.mark.parametrize("kind", ["unmigrated", "demo"])
@pytest.mark.parametrize("command", ALL, ids=[" ".join(c.path) for c in ALL])
def test_bad_arguments_answer_one_line_never_a_traceback(
    command: Command,
    kind: str,
    files: dict[str, Path],
    demo_database: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop(kind, tmp_path, demo_database, monkeypatch)
    for args in invocations(command, files):
        code, _output = check(args)
        if tuple(command.path) in LONG_RUNNING:
            assert code != 0, f"{args} ran"


def test_the_commands_are_discovered() -> None:
    paths = {c.path for c in ALL}
    assert {("wallet", "recharge"), ("catalog", "add-image"), ("db", "upgrade"), ("serve",)} <= paths
    assert isinstance(typer.main.get_command(app), ShopGroup)


# --- the failures of the issue, one by one -----------------------------------------------------------


@pytest.fixture
def demo(tmp_path: Path, demo_database: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return shop("demo", tmp_path, demo_database, monkeypatch)


def add_user(name: str) -> None:
    result = CliRunner().invoke(
        app, ["users", "create", name, "--email", f"{name}@example.com"], input="pw-123456\n"
    )
    assert result.exit_code == 0, result.output


def test_a_file_that_is_not_an_image(demo: Cli) -> None:
    assert "validation_error" in demo("catalog", "add-image", "1", "/etc/hostname", code=1)


def test_an_unknown_revision(demo: Cli) -> None:
    assert "migration_error" in demo("db", "upgrade", "9999", code=2)


def test_a_negative_amount_is_an_amount_not_an_option(demo: Cli) -> None:
    add_user("bob")
    assert "invalid_amount" in demo("wallet", "recharge", "bob", "-5", code=1)


def test_users_by_id_or_name_alike(demo: Cli) -> None:
    add_user("alice")
    by_name = demo("wallet", "show", "alice")
    user_id = re.search(r"(\d+) │ alice", by_name)[1]  # type: ignore[index]
    assert demo("wallet", "show", user_id) == by_name
    assert "recharged alice" in demo("wallet", "recharge", user_id, "10")
    assert "alice's cart is empty" in demo("cart", "show", user_id)
    assert "not_found" in demo("wallet", "show", "nobody", code=1)


def test_catalog_list_with_every_sku(demo: Cli) -> None:
    firsts = demo("catalog", "list", "--page-size", "50")
    every = demo("catalog", "list", "--page-size", "50", "--skus")
    assert every.count("│") > firsts.count("│")  # more rows: a product has several skus
    assert "colour" in every


def test_ids_are_never_cut_at_80_columns(demo: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = CliRunner().invoke(app, ["payments", "notifications"], env={"COLUMNS": "80"}).output
    assert "…" not in out
    listed = CliRunner().invoke(app, ["catalog", "list"], env={"COLUMNS": "80"}).output
    assert "…" not in listed


def test_before_the_first_start_it_says_to_migrate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from another directory, on a var dir with no database yet."""
    use_shop(tmp_path, monkeypatch)
    monkeypatch.delenv("JIADIAN_DATABASE_URL")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, output = check(["users", "list"])
    assert code == 78
    assert "jiadian db upgrade" in output


def test_the_working_directory_does_not_matter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIADIAN_VAR_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert default.var_dir == Path(__file__).resolve().parents[2] / "var"
    monkeypatch.setenv("JIADIAN_VAR_DIR", "relative")
    relative = Settings(_env_file=None)  # type: ignore[call-arg]
    assert relative.var_dir == tmp_path / "relative"
    assert (
        relative.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'relative' / 'jiadian.sqlite3'}"
    )


@pytest.mark.parametrize(
    ("name", "value", "names"),
    [
        ("JIADIAN_PORT", "eighty", "JIADIAN_PORT='eighty'"),
        ("JIADIAN_BROKER", "kafka", "JIADIAN_BROKER='kafka'"),
        ("JIADIAN_CSRF_SECRET", "", None),
        ("JIADIAN_FASTDFS_TRACKERS", "[not json", "JIADIAN_FASTDFS_TRACKERS"),
    ],
)
def test_a_bad_setting_names_the_variable_in_one_line(
    name: str, value: str, names: str | None, demo: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    code, output = check(["users", "list"])
    if names is None:  # an empty secret is a value like any other
        assert code == 0
        return
    assert code == 78
    assert names in output
    assert len(output.strip().splitlines()) == 1


def test_list_settings_take_commas_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIADIAN_FASTDFS_TRACKERS", "a:22122, b:22122")
    assert Settings(_env_file=None).fastdfs_trackers == ["a:22122", "b:22122"]  # type: ignore[call-arg]
    monkeypatch.setenv("JIADIAN_FASTDFS_TRACKERS", '["c:22122"]')
    assert Settings(_env_file=None).fastdfs_trackers == ["c:22122"]  # type: ignore[call-arg]
