"""`jiadian cart`: look at a customer's cart (for support)."""

from __future__ import annotations

import typer
from rich.table import Table

from jiadian.application.cart import CartView
from jiadian.container import Container
from jiadian.entrypoints.cli.common import USER_HELP, console, find_user, run

app = typer.Typer(help="Customers' carts.", no_args_is_help=True)


def cart_table(cart: CartView) -> Table:
    table = Table()
    table.add_column("sku", justify="right", no_wrap=True)
    table.add_column("product")
    table.add_column("spec")
    table.add_column("price", justify="right", no_wrap=True)
    table.add_column("count/stock", justify="right", no_wrap=True)
    table.add_column("line total", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for line in cart.lines:
        table.add_row(
            str(line.sku_id),
            "" if line.product_id is None else f"{line.product_id} {line.name}",
            " / ".join(s for s in (line.size, line.color) if s),
            "" if line.price is None else str(line.price),
            f"{line.count}/{line.stock}",
            "" if line.line_total is None else str(line.line_total),
            "ok" if line.problem is None else line.problem.value,
        )
    return table


@app.command("show")
def show(user: str = typer.Argument(..., help=USER_HELP, show_default=False)) -> None:
    """A user's cart: every line, and the totals of the lines that can be bought."""

    async def action(c: Container) -> tuple[str, CartView]:
        found = await find_user(c, user)
        return found.username, await c.shopping_cart().view(found.id)

    username, cart = run(action)
    if not cart.lines:
        console.print(f"{username}'s cart is empty")
        return
    console.print(cart_table(cart))
    console.print(f"{len(cart.lines)} lines; available: {cart.total_count} items, amount {cart.amount}")
