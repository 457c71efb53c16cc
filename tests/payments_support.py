"""A shop that takes gateway payments: Alipay (keys made at run time, the local fake gateway) or the simulator.

Works on any container (memory, SQLite, MariaDB): the payment use cases are built beside the
order use cases of `OrderingShop`, on the same unit of work, clock and recording task queue.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jiadian.adapters.alipay import AlipayGateway, SimulatedGateway
from jiadian.adapters.sql.retry import DatabaseRetry
from jiadian.application.fulfilment import Fulfilment
from jiadian.application.orders import Orders, PaymentRedirect
from jiadian.application.payments import Payments
from jiadian.application.ports import PaymentGateway
from jiadian.application.refunds import Refunds
from jiadian.domain.ordering import Order
from jiadian.domain.payments import Notification, Payment
from jiadian.domain.wallet import Wallet
from tests.fakes.alipay_gateway import (
    RsaKeyPair,
    generate_rsa_key_pair,
    sign_notification_fields,
    signed_notification,
)
from tests.ordering_support import OrderingShop

APP_ID = "2021000000000001"
OTHER_APP_ID = "2021000000009999"
PUBLIC_URL = "https://shop.example.com"
NOTIFY_URL = PUBLIC_URL + "/api/payments/alipay/notify"
RETURN_URL = PUBLIC_URL + "/api/payments/alipay/return"
SUBJECT = "家电之选-订单支付"
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@dataclass(frozen=True)
class AlipayKeys:
    app: RsaKeyPair  # the shop's pair: it signs requests, Alipay knows the public half
    alipay: RsaKeyPair  # stands in for Alipay's pair: it signs notifications and answers
    stranger: RsaKeyPair  # somebody else's

    @classmethod
    def generate(cls) -> AlipayKeys:
        return cls(generate_rsa_key_pair(), generate_rsa_key_pair(), generate_rsa_key_pair())


def alipay_settings(directory: Path, keys: AlipayKeys, gateway_url: str, **overrides: Any) -> dict[str, Any]:
    """Settings for the real Alipay adapter: key files as an operator would deploy them."""
    directory.mkdir(parents=True, exist_ok=True)
    private_file, public_file = directory / "app_private_key.pem", directory / "alipay_public_key.pem"
    private_file.write_text(keys.app.private_pem)
    public_file.write_text(keys.alipay.public_pem)
    return {
        "payment_gateway": "alipay",
        "alipay_app_id": APP_ID,
        "alipay_app_private_key_file": private_file,
        "alipay_public_key_file": public_file,
        "alipay_gateway_url": gateway_url,
        "alipay_timeout": 0.5,
        "public_url": PUBLIC_URL,
        **overrides,
    }


def alipay_gateway(keys: AlipayKeys, gateway_url: str, *, timeout: float = 0.5) -> AlipayGateway:
    return AlipayGateway(
        app_id=APP_ID,
        app_private_key_pem=keys.app.private_pem,
        alipay_public_key_pem=keys.alipay.public_pem,
        gateway_url=gateway_url,
        notify_url=NOTIFY_URL,
        return_url=RETURN_URL,
        timeout=timeout,
    )


def notification(keys: AlipayKeys, order: Order, **overrides: str) -> dict[str, str]:
    """Alipay's signed notification that `order` was paid (its total, TRADE_SUCCESS unless overridden)."""
    fields: dict[str, Any] = {
        "app_id": APP_ID,
        "out_trade_no": order.trade_no,
        "total_amount": str(order.total),
        **overrides,
    }
    return signed_notification(keys.alipay.private_pem, **fields)


def browser_return(keys: AlipayKeys, order: Order, **overrides: str) -> dict[str, str]:
    """The signed query string Alipay sends the buyer's browser back with (no trade status in it)."""
    fields = {
        "charset": "utf-8",
        "out_trade_no": order.trade_no,
        "method": "alipay.trade.page.pay.return",
        "total_amount": str(order.total),
        "trade_no": "2026010122001446880500000077",
        "auth_app_id": APP_ID,
        "version": "1.0",
        "app_id": APP_ID,
        "seller_id": "2088102177649450",
        "timestamp": "2026-01-01 08:05:00",
        **overrides,
    }
    return sign_notification_fields(keys.alipay.private_pem, fields)


@dataclass
class PayingShop:
    """`OrderingShop` with a payment gateway: the shopper's orders, expiry and the payment use cases."""

    shop: OrderingShop
    gateway: PaymentGateway
    payments: Payments = field(init=False)
    orders: Orders = field(init=False)
    fulfilment: Fulfilment = field(init=False)
    refunds: Refunds = field(init=False)

    def __post_init__(self) -> None:
        base = self.shop
        self.payments = Payments(
            uow=base.container.uow,
            clock=base.clock,
            retry=DatabaseRetry(),
            tasks=base.tasks,
            gateway=self.gateway,
            simulator=self.gateway if isinstance(self.gateway, SimulatedGateway) else None,
            order_ttl_seconds=24 * 3600,
            ship_after_seconds=300,
        )
        self.orders = dataclasses.replace(
            base.orders, gateway=self.gateway, before_cancel=self.payments.close_for_cancel
        )
        self.fulfilment = dataclasses.replace(
            base.fulfilment,
            before_expiry=self.payments.before_expiry,
            before_cancel=self.payments.close_for_cancel,
        )
        self.refunds = Refunds(
            uow=base.container.uow,
            clock=base.clock,
            retry=DatabaseRetry(),
            gateway=self.gateway,
            gate=base.gate,
        )

    async def unpaid_order(self, *, price: str = "100.00", balance: str = "0.00") -> tuple[int, Order]:
        """A buyer (with `balance` in the wallet) and one order of theirs awaiting payment."""
        sku = await self.shop.given_sku(price=price)
        user, address = await self.shop.given_buyer(balance=balance)
        return user, await self.shop.buy(user, address, sku.id)

    async def start_alipay(self, user: int, order: Order) -> str:
        answer = await self.orders.pay(user, order.id, "alipay")
        assert isinstance(answer, PaymentRedirect)
        return answer.url

    async def order(self, order_id: str) -> Order:
        async with self.shop.container.uow() as uow:
            found = await uow.orders.get(order_id)
        assert found is not None
        return found

    async def wallet(self, user: int) -> Wallet:
        async with self.shop.container.uow() as uow:
            found = await uow.wallets.get(user)
        assert found is not None
        return found

    async def payments_of(self, order: Order) -> list[Payment]:
        async with self.shop.container.uow() as uow:
            everything = await uow.payments.list(state=None, offset=0, limit=1000)
        return [p for p in everything if p.order_id == order.id]

    async def notifications_of(self, order: Order) -> list[Notification]:
        async with self.shop.container.uow() as uow:
            return await uow.payments.notifications(trade_no=order.trade_no, limit=100)
