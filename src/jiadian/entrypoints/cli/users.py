"""`jiadian users` and `jiadian wallet`: the operator's account commands."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.table import Table

from jiadian.container import Container
from jiadian.entrypoints.cli.common import console, run

app = typer.Typer(help="Customer accounts.", no_args_is_help=True)


def read_password() -> str:
    """From stdin when it is not a terminal (scripts), else asked twice without echo."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@app.command("create")
def create(
    username: str,
    email: str = typer.Option(..., "--email", help="The user's e-mail address"),
    admin: bool = typer.Option(False, "--admin", help="Make the user an operator"),
) -> None:
    """Create a user. The password is asked for, or read from stdin (one line)."""
    password = read_password()

    async def action(c: Container) -> Any:
        return await c.accounts().create_user(username, email, password, is_admin=admin)

    user = run(action)
    console.print(f"user {user.id} {user.username}{' (admin)' if user.is_admin else ''} created")


@app.command("list")
def list_users(offset: int = typer.Option(0, min=0), limit: int = typer.Option(100, min=1, max=1000)) -> None:
    """List users."""

    async def action(c: Container) -> Any:
        return await c.accounts().list_users(offset, limit)

    table = Table("id", "username", "email", "phone", "admin")
    for user in run(action):
        table.add_row(str(user.id), user.username, user.email, user.phone, "yes" if user.is_admin else "")
    console.print(table)
