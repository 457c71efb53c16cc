"""`jiadian users` and `jiadian wallet`: the operator's account commands."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.table import Table

from jiadian.container import Container
from jiadian.domain.accounts import User
from jiadian.domain.wallet import Wallet
from jiadian.entrypoints.cli.common import console, operator, run

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
        return await c.accounts().create_user(username, email, password, is_admin=admin, by=operator())

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


@app.command("admin")
def set_admin(
    username: str,
    remove: bool = typer.Option(False, "--remove", help="Take the operator's flag away instead"),
) -> None:
    """Make a user an operator (or, with --remove, no longer one); effective at their next request."""

    async def action(c: Container) -> User:
        accounts = c.accounts()
        user = await accounts.by_username(username)
        return await accounts.set_admin(user.id, not remove, by=operator())

    user = run(action)
    console.print(f"user {user.id} {user.username}: {'admin' if user.is_admin else 'not an admin'}")


wallet = typer.Typer(help="Customer wallets: balance and recharges.", no_args_is_help=True)


def _wallet_table(username: str, found: Wallet) -> Table:
    table = Table("user", "balance", "total recharged", "total consumed")
    table.add_row(username, str(found.balance), str(found.total_recharged), str(found.total_consumed))
    return table


@wallet.command("show")
def wallet_show(username: str) -> None:
    """Show a user's balance and totals."""

    async def action(c: Container) -> tuple[User, Wallet]:
        return await c.wallets().of_username(username)

    user, found = run(action)
    console.print(_wallet_table(user.username, found))


@wallet.command("recharge")
def wallet_recharge(username: str, amount: str) -> None:
    """Add AMOUNT (a decimal with at most 2 places, e.g. 100.00) to a user's balance.

    Always allowed from here, whatever the `recharge_enabled` setting says about the HTTP API.
    """

    async def action(c: Container) -> tuple[User, Wallet]:
        wallets = c.wallets()
        user, _ = await wallets.of_username(username)
        return user, await wallets.recharge(user.id, amount, note="cli", by=operator())

    user, found = run(action)
    console.print(f"recharged {user.username}")
    console.print(_wallet_table(user.username, found))
