"""`jiadian users` and `jiadian wallet`: the operator's account commands."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.table import Table

from jiadian.container import Container
from jiadian.domain.accounts import User
from jiadian.domain.wallet import Wallet
from jiadian.entrypoints.cli.common import USER_HELP, console, find_user, run, table

USER = typer.Argument(..., help=USER_HELP, show_default=False)

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
def list_users(
    offset: int = typer.Option(0, min=0, max=2**63 - 1), limit: int = typer.Option(100, min=1, max=1000)
) -> None:
    """List users."""

    async def action(c: Container) -> Any:
        return await c.accounts().list_users(offset, limit)

    rows = table("id", "username", "email", "phone", "admin", ids=("id", "username"))
    for user in run(action):
        rows.add_row(str(user.id), user.username, user.email, user.phone, "yes" if user.is_admin else "")
    console.print(rows)


wallet = typer.Typer(help="Customer wallets: balance and recharges.", no_args_is_help=True)


def _wallet_table(user: User, found: Wallet) -> Table:
    rows = table("id", "user", "balance", "total recharged", "total consumed", ids=("id", "user", "balance"))
    rows.add_row(
        str(user.id), user.username, str(found.balance), str(found.total_recharged), str(found.total_consumed)
    )
    return rows


@wallet.command("show")
def wallet_show(user: str = USER) -> None:
    """Show a user's balance and totals."""

    async def action(c: Container) -> tuple[User, Wallet]:
        return await c.wallets().of_username((await find_user(c, user)).username)

    found_user, found = run(action)
    console.print(_wallet_table(found_user, found))


@wallet.command("recharge", context_settings={"ignore_unknown_options": True})  # "-5" is an amount
def wallet_recharge(
    user: str = USER, amount: str = typer.Argument(..., help="CNY, e.g. 100.00", show_default=False)
) -> None:
    """Add AMOUNT (a decimal with at most 2 places, e.g. 100.00) to a user's balance.

    Always allowed from here, whatever the `recharge_enabled` setting says about the HTTP API.
    """

    async def action(c: Container) -> tuple[User, Wallet]:
        found_user = await find_user(c, user)
        return found_user, await c.wallets().recharge(found_user.id, amount, note="cli")

    found_user, found = run(action)
    console.print(f"recharged {found_user.username}")
    console.print(_wallet_table(found_user, found))
