"""The payment simulator with a switch: a gateway that stops answering its trade queries and closes."""

from __future__ import annotations

from jiadian.adapters.alipay import SimulatedGateway
from jiadian.application.ports import GatewayTrade
from jiadian.domain.errors import ServiceUnavailable


class FlakySimulator(SimulatedGateway):
    def __init__(self, base_url: str = "http://shop.test") -> None:
        super().__init__(base_url)
        self.down = False
        self.calls: list[tuple[str, str]] = []

    def _check(self, what: str, trade_no: str) -> None:
        self.calls.append((what, trade_no))
        if self.down:
            raise ServiceUnavailable("模拟网关不可用", gateway=self.name, operation=what)

    async def query_trade(self, trade_no: str) -> GatewayTrade | None:
        self._check("query", trade_no)
        return await super().query_trade(trade_no)

    async def close_trade(self, trade_no: str) -> bool:
        self._check("close", trade_no)
        return await super().close_trade(trade_no)
